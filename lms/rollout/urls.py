app_name = "rollout"
urlpatterns = []
