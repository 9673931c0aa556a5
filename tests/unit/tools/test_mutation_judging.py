"""``make mutation``'s judged-equivalent list: a judgment is keyed by what the mutant changes (not mutmut's number),
every entry in the repository's list is well formed, and equivalent mutants are not counted in the score."""

from __future__ import annotations

from pathlib import Path

from bench.mutation import JUDGED, Signature, load_judged, score, signature

DIFF = """# routing.callback.request.x_check_number__mutmut_24: survived
--- routing/callback/request.py
+++ routing/callback/request.py
@@ -12,7 +12,7 @@
     e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
-    country = phonenumbers.region_code_for_number(parsed) or ""
+    country = phonenumbers.region_code_for_number(parsed) or "XXXX"
     if e164.startswith(prefixes):"""


def test_a_signature_names_the_module_the_function_and_the_changed_lines() -> None:
    sig = signature("routing.callback.request.x_check_number__mutmut_24", DIFF)
    assert sig == Signature(
        "routing.callback.request",
        "check_number",
        ('country = phonenumbers.region_code_for_number(parsed) or ""',),
        ('country = phonenumbers.region_code_for_number(parsed) or "XXXX"',),
    )
    # Another number for the same change (the function grew a line): the same signature.
    assert signature("routing.callback.request.x_check_number__mutmut_31", DIFF) == sig


def test_private_names_keep_their_underscore() -> None:
    assert signature("routing.route.engine.x__fallback_applies__mutmut_6", "").function == "_fallback_applies"
    assert signature("routing.route.engine.xǁ_Deciderǁtransfer__mutmut_8", "").function == "_Decider.transfer"
    assert signature("routing.route.engine.x_decide__mutmut_1", "").function == "decide"


def test_a_method_signature_is_class_dot_method() -> None:
    sig = signature("routing.callback.request.xǁCallbackStoreǁrelease__mutmut_1", "-a\n+b")
    assert (sig.module, sig.function, sig.removed, sig.added) == (
        "routing.callback.request",
        "CallbackStore.release",
        ("a",),
        ("b",),
    )


def test_judgments_load_from_toml_with_their_reason(tmp_path: Path) -> None:
    judged = tmp_path / "judged.toml"
    judged.write_text(
        "[[equivalent]]\n"
        'module = "routing.m"\nfunction = "f"\nremoved = ["x = 1"]\nadded = ["x = 2"]\nwhy = "x is never read"\n',
        encoding="utf-8",
    )
    assert load_judged(judged) == {Signature("routing.m", "f", ("x = 1",), ("x = 2",)): "x is never read"}
    assert load_judged(tmp_path / "absent.toml") == {}


def test_every_judgment_on_record_names_a_core_module_and_gives_a_reason() -> None:
    judged = load_judged(JUDGED)
    assert judged, "the repository's judgments load"
    for sig, why in judged.items():
        assert sig.module.startswith("routing."), sig
        assert sig.removed or sig.added, sig
        assert len(why) >= 20, f"{sig}: say why no test can kill it"


def test_equivalent_survivors_are_not_counted() -> None:
    statuses = {"a": "killed", "b": "killed", "c": "survived", "d": "survived", "e": "no tests"}
    assert score(statuses, set()) == (2, 5, 0.4)
    assert score(statuses, {"c", "e"}) == (2, 3, 2 / 3)
    assert score({}, set()) == (0, 0, 0.0)
