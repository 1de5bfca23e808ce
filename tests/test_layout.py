"""The layout's size rule: no module over ~400 lines and no function over ~60 in the product's
packages, unless a reason for it is written here (``tools/sizes.py`` does the counting)."""

from tools.sizes import FUNCTION_LINES, MODULE_LINES, Finding, size_findings

# What may stay over the rule, and why: ``path`` for a module, ``path:function`` for a function.
ALLOWED: dict[str, str] = {}


def test_no_module_or_function_is_over_the_size_rule_without_a_reason():
    over = [str(finding) for finding in size_findings() if finding.key not in ALLOWED]

    assert over == []


def test_the_check_finds_a_long_module_and_a_long_function_and_skips_migrations(tmp_path):
    # given a package with a module one line over the rule, whose one function is one line over
    # too, and a migration as long
    function = "def long():\n" + "    pass\n" * FUNCTION_LINES
    text = function + "\n" * (MODULE_LINES + 1 - function.count("\n"))
    (tmp_path / "shop" / "migrations").mkdir(parents=True)
    (tmp_path / "shop" / "views.py").write_text(text)
    (tmp_path / "shop" / "migrations" / "0001_initial.py").write_text(text)

    # when
    findings = size_findings(tmp_path, ["shop"])

    # then the module and the function are found, named as the allow-list names them
    assert findings == [
        Finding("shop/views.py", MODULE_LINES + 1),
        Finding("shop/views.py", FUNCTION_LINES + 1, "long", 1),
    ]
    assert [finding.key for finding in findings] == ["shop/views.py", "shop/views.py:long"]
