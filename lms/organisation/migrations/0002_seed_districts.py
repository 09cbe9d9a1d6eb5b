from django.db import migrations

# Chinese name, English name, letter code, administrative division code (GB/T 2260).
DISTRICTS = [
    ("黄浦区", "Huangpu", "HP", "310101"),
    ("徐汇区", "Xuhui", "XH", "310104"),
    ("长宁区", "Changning", "CN", "310105"),
    ("静安区", "Jing'an", "JA", "310106"),
    ("普陀区", "Putuo", "PT", "310107"),
    ("虹口区", "Hongkou", "HK", "310109"),
    ("杨浦区", "Yangpu", "YP", "310110"),
    ("闵行区", "Minhang", "MH", "310112"),
    ("宝山区", "Baoshan", "BS", "310113"),
    ("嘉定区", "Jiading", "JD", "310114"),
    ("浦东新区", "Pudong New Area", "PD", "310115"),
    ("金山区", "Jinshan", "JS", "310116"),
    ("松江区", "Songjiang", "SJ", "310117"),
    ("青浦区", "Qingpu", "QP", "310118"),
    ("奉贤区", "Fengxian", "FX", "310120"),
    ("崇明区", "Chongming", "CM", "310151"),
]


def seed(apps, schema_editor):
    District = apps.get_model("lms", "District")
    for order, (zh, en, code, admin_code) in enumerate(DISTRICTS, start=1):
        District.objects.update_or_create(
            code=code,
            defaults={"name_zh": zh, "name_en": en, "admin_code": admin_code, "sort_order": order},
        )


def unseed(apps, schema_editor):
    apps.get_model("lms", "District").objects.filter(code__in=[d[2] for d in DISTRICTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("lms", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
