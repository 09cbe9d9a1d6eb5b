"""One owner for each rule (issue 14): the roster composes the owners' building blocks and
spells out none of the rules, and no lower floor looks up a higher one (certificates never
look waves up)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# How each rule used to be spelled out again outside its owner.
RULE_SPELLINGS = [
    '"graded"',
    "Attempt",  # the attempts' table is read through quizzes.results only
    "Certificate.objects.filter",  # certificates through Certificate.objects.valid(at) only
    'Count("course_id"',  # the "holds every required course" rule is certificates'
    "revoked_at",
    "superseded",
    "expires_at__",
    "required_for_authorisation",
    "completed_at__isnull",
    "due_at__lt",  # overdue: courses.completion.overdue_q / is_overdue_at
    "get_model(",
    "LookupError",
]

FLOORS = {"lms/organisation": 0, "courses": 1, "quizzes": 2, "certificates": 3, "lms/rollout": 4}
MODULE_FLOOR = {
    "lms.organisation": 0,
    "courses": 1,
    "quizzes": 2,
    "certificates": 3,
    "lms.rollout": 4,
}


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _floor_of(module):
    for prefix, floor in MODULE_FLOOR.items():
        if module == prefix or module.startswith(prefix + "."):
            return floor
    return None


@pytest.mark.parametrize("rule", RULE_SPELLINGS)
def test_roster_does_not_spell_out_the_rules(rule):
    source = (ROOT / "lms/rollout/roster.py").read_text(encoding="utf-8")
    code = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("#", "-"))
    )
    body = code.split('"""', 2)[-1]  # after the module docstring
    assert rule not in body


def test_roster_imports_the_owners_building_blocks():
    imported = set()
    tree = ast.parse((ROOT / "lms/rollout/roster.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    assert {
        "quizzes.results.passed_attempts",
        "quizzes.results.passed_pairs",
        "courses.completion.completed_q",
        "courses.completion.overdue_q",
        "certificates.authorisation.authorised_holders",
        "certificates.authorisation.authorised_expression",
    } <= imported


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_no_lower_floor_imports_a_higher_one(package):
    own = FLOORS[package]
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for module in _imports(path):
            floor = _floor_of(module)
            if floor is not None and floor > own:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_certificates_never_look_up_waves():
    for path in sorted((ROOT / "certificates").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "RolloutWave" not in text and '"rollout"' not in text, path
