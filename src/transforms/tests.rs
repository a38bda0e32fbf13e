//! function-patch-and-transform's transform tests, translated: each case
//! names its test function and case in `transforms_test.go` or
//! `validate_test.go` of crossplane-contrib/function-patch-and-transform at
//! v0.10.8. A transform is written as a Composition would write it and read
//! through the input reader, so a case P&T refuses when it resolves or
//! validates is refused here where the input is read, with its field path.
//!
//! Not translated: the `…Error` cases of ToSha1/ToSha256/ToSha512/ToAdler32
//! and `ConvertToJSONFail` give a Go function as the value, which no JSON
//! value can be; `IntToIntInvalidFormat` asks `GetConversionFunc` alone,
//! whereas `ResolveConvert` refuses the format first, as here.

use serde_json::{Value, json};

use super::{Transform, apply_all};
use crate::input::{API_VERSION, KIND};

/// Where a transform sits in the input these tests read.
const AT: &str = "writeConnectionSecretToRef.patches[0].transforms[0].";

/// What a case expects.
enum Outcome {
    /// The transform gives this value (its Go type shows: `json!(1.0)` is a
    /// float64, `json!(1)` an int64).
    Gives(Value),
    /// The transform fails on the value with this message.
    Fails(&'static str),
    /// The input is refused with these problems, paths from the transform.
    Refused(&'static str),
}

use Outcome::{Fails, Gives, Refused};

/// (P&T case, transform as written, value, outcome)
type Case = (&'static str, Value, Value, Outcome);

/// The transform read as the function reads its input, or the problems.
fn read(transform: &Value) -> Result<Transform, String> {
    let input = json!({"apiVersion": API_VERSION, "kind": KIND, "writeConnectionSecretToRef": {"patches": [
        {"fromFieldPath": "metadata.name", "toFieldPath": "name", "transforms": [transform]},
    ]}});
    match crate::input::parse(&input) {
        Ok(input) => Ok(input.write_connection_secret_to_ref.unwrap().patches[0].transforms[0].clone()),
        Err(errors) => Err(errors
            .0
            .iter()
            .map(|error| format!("{}: {}", error.path.trim_start_matches(AT), error.message))
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

fn check(test: &str, cases: Vec<Case>) {
    for (case, transform, value, outcome) in cases {
        let name = format!("{test}/{case}");
        match (read(&transform), outcome) {
            (Ok(transform), Gives(expected)) => assert_eq!(transform.apply(value), Ok(expected), "{name}"),
            (Ok(transform), Fails(expected)) => assert_eq!(transform.apply(value), Err(expected.to_owned()), "{name}"),
            (Err(problems), Refused(expected)) => assert_eq!(problems, expected, "{name}"),
            (Ok(transform), Refused(expected)) => panic!("{name}: read as {transform:?}, expected {expected}"),
            (Err(problems), _) => panic!("{name}: refused: {problems}"),
        }
    }
}

fn map(pairs: Value) -> Value {
    json!({"type": "map", "map": pairs})
}

fn matching(settings: Value) -> Value {
    json!({"type": "match", "match": settings})
}

fn math(settings: Value) -> Value {
    json!({"type": "math", "math": settings})
}

fn string(settings: Value) -> Value {
    json!({"type": "string", "string": settings})
}

fn convert(settings: Value) -> Value {
    json!({"type": "convert", "convert": settings})
}

#[test]
fn test_map_resolve() {
    check(
        "TestMapResolve",
        vec![
            // P&T's map has no entries; one with none is refused here (see
            // TestValidateTransform/InvalidMapNoPairs), so this one has one.
            ("NonStringInput", map(json!({"ola": "voila"})), json!(5), Fails("map: needs a string, not an int64")),
            (
                "KeyNotFound",
                map(json!({"hola": "voila"})),
                json!("ola"),
                Fails("map: has no entry for the value (a string of 3 bytes); its keys are hola"),
            ),
            ("SuccessString", map(json!({"ola": "voila"})), json!("ola"), Gives(json!("voila"))),
            ("SuccessNumber", map(json!({"ola": 1})), json!("ola"), Gives(json!(1.0))),
            ("SuccessBoolean", map(json!({"ola": true})), json!("ola"), Gives(json!(true))),
            ("SuccessObject", map(json!({"ola": {"foo": "bar"}})), json!("ola"), Gives(json!({"foo": "bar"}))),
            ("SuccessSlice", map(json!({"ola": ["foo", "bar"]})), json!("ola"), Gives(json!(["foo", "bar"]))),
        ],
    );
}

#[test]
fn test_match_resolve() {
    let literal_foo =
        |result: Value| matching(json!({"patterns": [{"type": "literal", "literal": "foo", "result": result}]}));
    // P&T's NoPatterns… cases have no patterns, which its validation refuses
    // (TestValidateTransform/InvalidMatchEmptyTransform); one that does not
    // match leaves the same fallbacks to test.
    let unmatched = |fallback: Value| {
        let mut settings = json!({"patterns": [{"type": "literal", "literal": "other", "result": 1}]});
        settings.as_object_mut().unwrap().extend(fallback.as_object().unwrap().clone());
        matching(settings)
    };
    check(
        "TestMatchResolve",
        vec![
            (
                "ErrNonStringInput",
                matching(json!({"patterns": [{"type": "literal", "literal": "5"}]})),
                json!(5),
                Fails("match.patterns[0]: needs a string, not an int64"),
            ),
            (
                "ErrFallbackValueAndToInput",
                unmatched(json!({"fallbackValue": "foo", "fallbackTo": "Input"})),
                json!("foo"),
                Refused("match.fallbackValue: cannot be set with fallbackTo: Input; remove one of them"),
            ),
            ("NoPatternsFallback", unmatched(json!({"fallbackValue": "bar"})), json!("foo"), Gives(json!("bar"))),
            (
                "NoPatternsFallbackToValueExplicit",
                unmatched(json!({"fallbackValue": "bar", "fallbackTo": "Value"})),
                json!("foo"),
                Gives(json!("bar")),
            ),
            ("NoPatternsFallbackNil", unmatched(json!({"fallbackValue": null})), json!("foo"), Gives(Value::Null)),
            ("NoPatternsFallbackToInput", unmatched(json!({"fallbackTo": "Input"})), json!("foo"), Gives(json!("foo"))),
            (
                "NoPatternsFallbackNilToInput",
                unmatched(json!({"fallbackValue": null, "fallbackTo": "Input"})),
                json!("foo"),
                Gives(json!("foo")),
            ),
            ("MatchLiteral", literal_foo(json!("bar")), json!("foo"), Gives(json!("bar"))),
            (
                "MatchLiteralFirst",
                matching(json!({"patterns": [
                    {"type": "literal", "literal": "foo", "result": "bar"},
                    {"type": "literal", "literal": "foo", "result": "not this"},
                ]})),
                json!("foo"),
                Gives(json!("bar")),
            ),
            (
                "MatchLiteralWithResultStruct",
                literal_foo(json!({"Hello": "World"})),
                json!("foo"),
                Gives(json!({"Hello": "World"})),
            ),
            (
                "MatchLiteralWithResultSlice",
                literal_foo(json!(["Hello", "World"])),
                json!("foo"),
                Gives(json!(["Hello", "World"])),
            ),
            ("MatchLiteralWithResultNumber", literal_foo(json!(5)), json!("foo"), Gives(json!(5.0))),
            ("MatchLiteralWithResultBool", literal_foo(json!(true)), json!("foo"), Gives(json!(true))),
            ("MatchLiteralWithResultNil", literal_foo(Value::Null), json!("foo"), Gives(Value::Null)),
            (
                "MatchRegexp",
                matching(json!({"patterns": [{"type": "regexp", "regexp": "^foo.*$", "result": "Hello World"}]})),
                json!("foobar"),
                Gives(json!("Hello World")),
            ),
            (
                "ErrMissingRegexp",
                matching(json!({"patterns": [{"type": "regexp"}]})),
                Value::Null,
                Refused("match.patterns[0].regexp: is required by this type"),
            ),
            (
                "ErrInvalidRegexp",
                matching(json!({"patterns": [{"type": "regexp", "regexp": "?="}]})),
                Value::Null,
                Refused(
                    "match.patterns[0].regexp: is not a regular expression: uncounted repetition operator must be \
                     applied to a sub-expression",
                ),
            ),
            (
                "ErrMissingLiteral",
                matching(json!({"patterns": [{"type": "literal"}]})),
                Value::Null,
                Refused("match.patterns[0].literal: is required by this type"),
            ),
        ],
    );
}

#[test]
fn test_math_resolve() {
    let multiply = math(json!({"type": "Multiply", "multiply": 2}));
    let clamp_min = math(json!({"type": "ClampMin", "clampMin": 2}));
    let clamp_max = math(json!({"type": "ClampMax", "clampMax": 2}));
    check(
        "TestMathResolve",
        vec![
            (
                "InvalidType",
                math(json!({"type": "bad"})),
                json!(25),
                Refused("math.type: unknown value \"bad\"; use one of Multiply, ClampMin, ClampMax"),
            ),
            ("NonNumberInput", multiply.clone(), json!("ola"), Fails("math: needs a number, not a string")),
            (
                "MultiplyNoConfig",
                math(json!({"type": "Multiply"})),
                json!(25),
                Refused("math.multiply: is required by this type"),
            ),
            ("MultiplySuccess", multiply.clone(), json!(3), Gives(json!(6))),
            ("MultiplySuccessInt64", multiply, json!(3), Gives(json!(6))),
            ("ClampMinSuccess", clamp_min.clone(), json!(1), Gives(json!(2))),
            ("ClampMinSuccessNoChangeInt", clamp_min.clone(), json!(3), Gives(json!(3))),
            ("ClampMinSuccessNoChangeInt64", clamp_min.clone(), json!(3), Gives(json!(3))),
            ("ClampMinSuccessInt64", clamp_min, json!(1), Gives(json!(2))),
            (
                "ClampMinNoConfig",
                math(json!({"type": "ClampMin"})),
                json!(25),
                Refused("math.clampMin: is required by this type"),
            ),
            ("ClampMaxSuccess", clamp_max.clone(), json!(3), Gives(json!(2))),
            ("ClampMaxSuccessNoChange", clamp_max.clone(), json!(1), Gives(json!(1))),
            ("ClampMaxSuccessInt64", clamp_max, json!(3), Gives(json!(2))),
            (
                "ClampMaxNoConfig",
                math(json!({"type": "ClampMax"})),
                json!(25),
                Refused("math.clampMax: is required by this type"),
            ),
        ],
    );
}

/// Beyond P&T's cases: `resolveMathMultiply` and `resolveMathClamp` on a
/// float64, which keep it a float64 or clamp it to the int64 bound.
#[test]
fn math_on_a_float_keeps_go_s_types() {
    let multiply = read(&math(json!({"type": "Multiply", "multiply": 3}))).unwrap();
    assert_eq!(multiply.apply(json!(1.5)), Ok(json!(4.5)));
    let clamp_min = read(&math(json!({"type": "ClampMin", "clampMin": 2}))).unwrap();
    assert_eq!(clamp_min.apply(json!(1.9)), Ok(json!(2)));
    assert_eq!(clamp_min.apply(json!(2.5)), Ok(json!(2.5)));
}

#[test]
fn test_string_resolve() {
    let convert_to = |to: &str| string(json!({"type": "Convert", "convert": to}));
    check(
        "TestStringResolve",
        vec![
            (
                "NotSupportedType",
                string(json!({"type": "Something"})),
                json!("value"),
                Refused(
                    "string.type: unknown value \"Something\"; use one of Format, Convert, TrimPrefix, TrimSuffix, \
                     Regexp, Join, Replace",
                ),
            ),
            (
                "FmtFailed",
                string(json!({"type": "Format"})),
                json!("value"),
                Refused("string.fmt: is required by this type"),
            ),
            (
                "FmtString",
                string(json!({"type": "Format", "fmt": "verycool%s"})),
                json!("thing"),
                Gives(json!("verycoolthing")),
            ),
            (
                "FmtInteger",
                string(json!({"type": "Format", "fmt": "the largest %d"})),
                json!(8),
                Gives(json!("the largest 8")),
            ),
            (
                "ConvertNotSet",
                string(json!({"type": "Convert"})),
                json!("crossplane"),
                Refused("string.convert: is required by this type"),
            ),
            (
                "ConvertTypFailed",
                convert_to("Something"),
                json!("crossplane"),
                Refused(
                    "string.convert: unknown value \"Something\"; use one of ToUpper, ToLower, ToJson, ToBase64, \
                     FromBase64, ToSha1, ToSha256, ToSha512, ToAdler32",
                ),
            ),
            ("ConvertToUpper", convert_to("ToUpper"), json!("crossplane"), Gives(json!("CROSSPLANE"))),
            ("ConvertToLower", convert_to("ToLower"), json!("CrossPlane"), Gives(json!("crossplane"))),
            ("ConvertToBase64", convert_to("ToBase64"), json!("CrossPlane"), Gives(json!("Q3Jvc3NQbGFuZQ=="))),
            ("ConvertFromBase64", convert_to("FromBase64"), json!("Q3Jvc3NQbGFuZQ=="), Gives(json!("CrossPlane"))),
            (
                "ConvertFromBase64Error",
                convert_to("FromBase64"),
                json!("ThisStringIsNotBase64"),
                Fails("string.convert: FromBase64: the value is not base64: 21 characters, which is no valid length"),
            ),
            (
                "ConvertToSha1",
                convert_to("ToSha1"),
                json!("Crossplane"),
                Gives(json!("3b683dc8ff44122b331a5e4f253dd69d90726d75")),
            ),
            (
                "ConvertToSha256",
                convert_to("ToSha256"),
                json!("Crossplane"),
                Gives(json!("19c8a7c24ed0067f606815b59e5b82d92935ff69deed04171457a55018e31224")),
            ),
            (
                "ConvertToSha512",
                convert_to("ToSha512"),
                json!("Crossplane"),
                Gives(json!(
                    "0016037c62c92b5cc4a282fbe30cdd228fa001624b26fd31baa9fcb76a9c60d48e2e7a16cf8729a2d9cba3d23e1d846e7721a5381b9a92dd813178e9a6686205"
                )),
            ),
            (
                "ConvertToSha512Int",
                convert_to("ToSha512"),
                json!(1234),
                Gives(json!(
                    "d404559f602eab6fd602ac7680dacbfaadd13630335e951f097af3900e9de176b6db28512f2e000b9d04fba5133e8b1c6e8df59db3a8ab9d60be4b97cc9e81db"
                )),
            ),
            (
                "ConvertToSha512IntStr",
                convert_to("ToSha512"),
                json!("1234"),
                Gives(json!(
                    "d404559f602eab6fd602ac7680dacbfaadd13630335e951f097af3900e9de176b6db28512f2e000b9d04fba5133e8b1c6e8df59db3a8ab9d60be4b97cc9e81db"
                )),
            ),
            ("ConvertToAdler32", convert_to("ToAdler32"), json!("Crossplane"), Gives(json!("373097499"))),
            (
                "ConvertToAdler32Unicode",
                convert_to("ToAdler32"),
                json!("⡌⠁⠧⠑ ⠼⠁⠒  ⡍⠜⠇⠑⠹⠰⠎ ⡣⠕⠌"),
                Gives(json!("4110427190")),
            ),
            (
                "TrimPrefix",
                string(json!({"type": "TrimPrefix", "trim": "https://"})),
                json!("https://crossplane.io"),
                Gives(json!("crossplane.io")),
            ),
            (
                "TrimSuffix",
                string(json!({"type": "TrimSuffix", "trim": "-test"})),
                json!("my-string-test"),
                Gives(json!("my-string")),
            ),
            (
                "TrimPrefixWithoutMatch",
                string(json!({"type": "TrimPrefix", "trim": "https://"})),
                json!("crossplane.io"),
                Gives(json!("crossplane.io")),
            ),
            (
                "TrimSuffixWithoutMatch",
                string(json!({"type": "TrimSuffix", "trim": "-test"})),
                json!("my-string"),
                Gives(json!("my-string")),
            ),
            (
                "RegexpNotCompiling",
                string(json!({"type": "Regexp", "regexp": {"match": "[a-z"}})),
                json!("my-string"),
                Refused("string.regexp.match: is not a regular expression: found unclosed character class"),
            ),
            (
                "RegexpSimpleMatch",
                string(json!({"type": "Regexp", "regexp": {"match": "[0-9]"}})),
                json!("my-1-string"),
                Gives(json!("1")),
            ),
            (
                "RegexpCaptureGroup",
                string(json!({"type": "Regexp", "regexp": {"match": "my-([0-9]+)-string", "group": 1}})),
                json!("my-1-string"),
                Gives(json!("1")),
            ),
            // P&T fails when it applies this; the group is known to be
            // missing before, so the input is refused.
            (
                "RegexpNoSuchCaptureGroup",
                string(json!({"type": "Regexp", "regexp": {"match": "my-([0-9]+)-string", "group": 2}})),
                json!("my-1-string"),
                Refused("string.regexp.group: must be 0 (the whole match) to 1, the expression's capture groups"),
            ),
            ("ConvertToJSONSuccess", convert_to("ToJson"), json!({"foo": "bar"}), Gives(json!("{\"foo\":\"bar\"}"))),
            (
                "JoinString",
                string(json!({"type": "Join", "join": {"separator": ","}})),
                json!(["cross", "plane"]),
                Gives(json!("cross,plane")),
            ),
            (
                "JoinStringEmptySeparator",
                string(json!({"type": "Join", "join": {"separator": ""}})),
                json!(["cross", "plane"]),
                Gives(json!("crossplane")),
            ),
            (
                "JoinStringDifferentTypes",
                string(json!({"type": "Join", "join": {"separator": "-"}})),
                json!(["cross", "plane", 42]),
                Gives(json!("cross-plane-42")),
            ),
            (
                "ReplaceFound",
                string(json!({"type": "Replace", "replace": {"search": "Cr", "replace": "B"}})),
                json!("Crossplane"),
                Gives(json!("Bossplane")),
            ),
            (
                "ReplaceNotFound",
                string(json!({"type": "Replace", "replace": {"search": "xx", "replace": "zz"}})),
                json!("Crossplane"),
                Gives(json!("Crossplane")),
            ),
            (
                "ReplaceRemove",
                string(json!({"type": "Replace", "replace": {"search": "ss", "replace": ""}})),
                json!("Crossplane"),
                Gives(json!("Croplane")),
            ),
        ],
    );
}

/// Beyond P&T's cases, its `stringJoinTransform` as written: the last
/// separator loses only its last byte.
#[test]
fn join_keeps_patch_and_transform_s_trailing_separator() {
    let join = read(&string(json!({"type": "Join", "join": {"separator": ", "}}))).unwrap();
    assert_eq!(join.apply(json!(["a", "b"])), Ok(json!("a, b,")));
    assert_eq!(join.apply(json!([])), Ok(json!("")));
    assert_eq!(join.apply(json!("a")), Err("string.join: needs a list, not a string".to_owned()));
}

#[test]
fn test_convert_resolve() {
    check(
        "TestConvertResolve",
        vec![
            ("StringToBool", convert(json!({"toType": "bool"})), json!("true"), Gives(json!(true))),
            ("StringToFloat64", convert(json!({"toType": "float64"})), json!("1000"), Gives(json!(1000.0))),
            (
                "StringToQuantityFloat64",
                convert(json!({"toType": "float64", "format": "quantity"})),
                json!("1000m"),
                Gives(json!(1.0)),
            ),
            (
                "StringToQuantityFloat64InvalidFormat",
                convert(json!({"toType": "float64", "format": "quantity"})),
                json!("1000 blabla"),
                Fails("convert: the value is not a quantity such as 1.5Gi, 500m or 2e3"),
            ),
            ("SameTypeNoOp", convert(json!({"toType": "bool"})), json!(true), Gives(json!(true))),
            ("IntAliasToInt64", convert(json!({"toType": "int"})), json!(1), Gives(json!(1))),
            (
                "StringToObject",
                convert(json!({"toType": "object", "format": "json"})),
                json!("{\"foo\":\"bar\"}"),
                Gives(json!({"foo": "bar"})),
            ),
            (
                "StringToList",
                convert(json!({"toType": "array", "format": "json"})),
                json!("[\"foo\", \"bar\", \"baz\"]"),
                Gives(json!(["foo", "bar", "baz"])),
            ),
            (
                "InputTypeNotSupported",
                convert(json!({"toType": "string"})),
                json!([64]),
                Fails("convert: cannot convert a list"),
            ),
            (
                "ConversionPairFormatNotSupported",
                convert(json!({"toType": "string", "format": "quantity"})),
                json!(100),
                Refused("convert.format: quantity converts to float64 only"),
            ),
            (
                "ConversionPairNotSupported",
                convert(json!({"toType": "[]int"})),
                json!("[64]"),
                Refused(
                    "convert.toType: unknown value \"[]int\"; use one of string, int, int64, bool, float64, object, array",
                ),
            ),
            ("ConversionPairSupportedFloat64Int64", convert(json!({"toType": "int64"})), json!(1.1), Gives(json!(1))),
        ],
    );
}

#[test]
fn test_convert_transform_get_conversion_func() {
    check(
        "TestConvertTransformGetConversionFunc",
        vec![
            ("IntToString", convert(json!({"toType": "string"})), json!(5), Gives(json!("5"))),
            ("IntToInt", convert(json!({"toType": "int"})), json!(5), Gives(json!(5))),
            ("IntToInt64", convert(json!({"toType": "int"})), json!(5), Gives(json!(5))),
            ("Int64ToInt", convert(json!({"toType": "int64"})), json!(5), Gives(json!(5))),
            ("IntToFloat", convert(json!({"toType": "int"})), json!(1.5), Gives(json!(1))),
            ("IntToBool", convert(json!({"toType": "int"})), json!(true), Gives(json!(1))),
            (
                "JSONStringToObject",
                convert(json!({"toType": "object", "format": "json"})),
                json!("{\"n\": 1}"),
                Gives(json!({"n": 1.0})),
            ),
            (
                "JSONStringToArray",
                convert(json!({"toType": "array", "format": "json"})),
                json!("[1, \"a\"]"),
                Gives(json!([1.0, "a"])),
            ),
            (
                "StringToObjectMissingFormat",
                convert(json!({"toType": "object"})),
                json!("{}"),
                Refused("convert.format: must be json: only a JSON string converts to an object or array"),
            ),
            (
                "StringToIntInvalidFormat",
                convert(json!({"toType": "int", "format": "wrong"})),
                json!("1"),
                Refused("convert.format: unknown value \"wrong\"; use one of none, quantity, json"),
            ),
        ],
    );
}

/// Beyond P&T's cases: the rest of `getConversion`'s table, and what it
/// lacks.
#[test]
fn converts_every_pair_patch_and_transform_converts() {
    let to = |to_type: &str| read(&convert(json!({"toType": to_type}))).unwrap();
    assert_eq!(to("int64").apply(json!("-42")), Ok(json!(-42)));
    assert_eq!(to("int64").apply(json!("4.2")), Err("convert: the value is not an int64".to_owned()));
    assert_eq!(to("bool").apply(json!("F")), Ok(json!(false)));
    assert_eq!(to("bool").apply(json!(1)), Ok(json!(true)));
    assert_eq!(to("bool").apply(json!(1.0)), Ok(json!(true)));
    assert_eq!(to("float64").apply(json!(3)), Ok(json!(3.0)));
    assert_eq!(to("float64").apply(json!(true)), Ok(json!(1.0)));
    assert_eq!(to("string").apply(json!(false)), Ok(json!("false")));
    assert_eq!(to("string").apply(json!(1e21)), Ok(json!("1000000000000000000000")));
    assert_eq!(to("float64").apply(json!("1e400")), Err("convert: gives a number that is not finite".to_owned()));
    assert_eq!(to("string").apply(Value::Null), Err("convert: cannot convert null".to_owned()));
}

#[test]
fn test_validate_transform() {
    check(
        "TestValidateTransform",
        vec![
            ("ValidMathMultiply", math(json!({"type": "Multiply", "multiply": 2})), json!(2), Gives(json!(4))),
            ("ValidMathClampMin", math(json!({"type": "ClampMin", "clampMin": 10})), json!(2), Gives(json!(10))),
            (
                "InvalidMathWrongSpec",
                math(json!({"type": "Multiply", "clampMin": 10})),
                json!(2),
                Refused(
                    "math.clampMin: does nothing here, as the type reads multiply; remove it; math.multiply: is \
                     required by this type",
                ),
            ),
            (
                "InvalidMathNotDefinedAtAll",
                json!({"type": "math"}),
                json!(2),
                Refused("math: is required by this type"),
            ),
            ("ValidMap", map(json!({"foo": "bar"})), json!("foo"), Gives(json!("bar"))),
            ("InvalidMapNoMap", json!({"type": "map"}), json!("foo"), Refused("map: is required by this type")),
            ("InvalidMapNoPairs", map(json!({})), json!("foo"), Refused("map: needs at least one entry")),
            ("InvalidMatchNoMatch", json!({"type": "match"}), json!("foo"), Refused("match: is required by this type")),
            (
                "InvalidMatchEmptyTransform",
                matching(json!({})),
                json!("foo"),
                Refused("match.patterns: needs at least one pattern"),
            ),
            (
                "ValidMatchTransformRegexp",
                matching(json!({"patterns": [{"type": "regexp", "regexp": ".*"}]})),
                json!("foo"),
                Gives(Value::Null),
            ),
            (
                "InvalidMatchTransformRegexp",
                matching(json!({"patterns": [{"type": "regexp", "regexp": "?"}]})),
                json!("foo"),
                Refused(
                    "match.patterns[0].regexp: is not a regular expression: uncounted repetition operator must be \
                     applied to a sub-expression",
                ),
            ),
            // The second pattern has no type: literal, P&T's default.
            (
                "ValidMatchTransformString",
                matching(json!({"patterns": [
                    {"type": "literal", "literal": "foo"},
                    {"literal": "bar", "result": "second"},
                ]})),
                json!("bar"),
                Gives(json!("second")),
            ),
            (
                "InvalidStringNoString",
                json!({"type": "string"}),
                json!("foo"),
                Refused("string: is required by this type"),
            ),
            // P&T accepts `fmt: foo`, then prints `foo%!(EXTRA string=…)`.
            (
                "ValidString",
                string(json!({"type": "Format", "fmt": "foo"})),
                json!("x"),
                Refused("string.fmt: has 0 verbs; it formats one value, so use one %s, %v or %d"),
            ),
            (
                "InvalidConvertMissingConvert",
                json!({"type": "convert"}),
                json!("foo"),
                Refused("convert: is required by this type"),
            ),
            (
                "InvalidConvertUnknownFormat",
                convert(json!({"toType": "string", "format": "foo"})),
                json!("foo"),
                Refused("convert.format: unknown value \"foo\"; use one of none, quantity, json"),
            ),
            (
                "InvalidConvertUnknownToType",
                convert(json!({"toType": "foo"})),
                json!("foo"),
                Refused(
                    "convert.toType: unknown value \"foo\"; use one of string, int, int64, bool, float64, object, array",
                ),
            ),
            ("ValidConvert", convert(json!({"format": "none", "toType": "int"})), json!("7"), Gives(json!(7))),
        ],
    );
}

/// A misspelt setting is named with its closest spelling, and every problem
/// of the input is reported at once.
#[test]
fn misspellings_get_a_suggestion_and_every_problem_is_reported() {
    let problems = read(&json!({"type": "strng", "string": {"type": "Fromat", "fmt": "%s"}})).unwrap_err();
    assert_eq!(problems, "type: unknown value \"strng\"; did you mean \"string\"?");
    let problems = read(&string(json!({"type": "Fromat", "fmt": "%s"}))).unwrap_err();
    assert_eq!(problems, "string.type: unknown value \"Fromat\"; did you mean \"Format\"?");
    let problems = read(&string(json!({"type": "Convert", "convert": "tolower"}))).unwrap_err();
    assert_eq!(problems, "string.convert: unknown value \"tolower\"; did you mean \"ToLower\"?");
    let problems = read(&json!({"string": {"type": "Format", "fmt": "%s"}})).unwrap_err();
    assert_eq!(problems, "type: is required: set it to string for the string settings");
    let input = json!({"apiVersion": API_VERSION, "kind": KIND, "writeConnectionSecretToRef": {"patches": [
        {"fromFieldPath": "metadata.uid", "toFieldPath": "name", "transforms": [
            {"type": "string", "string": {"type": "Format", "fmt": "%q"}},
            {"type": "convert", "convert": {"toType": "object"}},
        ]},
    ]}});
    let errors = crate::input::parse(&input).unwrap_err().to_string();
    assert!(errors.contains("transforms[0].string.fmt: %q is not supported"), "{errors}");
    assert!(errors.contains("transforms[1].convert.format: must be json"), "{errors}");
}

/// `apply_all` runs the transforms in order, each on the last one's value,
/// and names the one that fails.
#[test]
fn transforms_apply_in_order() {
    let transforms: Vec<Transform> = [
        string(json!({"type": "TrimPrefix", "trim": "db-"})),
        convert(json!({"toType": "int64"})),
        math(json!({"type": "Multiply", "multiply": 10})),
        string(json!({"type": "Format", "fmt": "shard-%d"})),
    ]
    .iter()
    .map(|transform| read(transform).unwrap())
    .collect();
    assert_eq!(apply_all(&transforms, json!("db-4")), Ok(json!("shard-40")));
    let error = apply_all(&transforms, json!("db-x")).unwrap_err();
    assert_eq!(error.to_string(), "transforms[1].convert: the value is not an int64");
}
