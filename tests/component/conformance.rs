//! Conformance with Crossplane and function-patch-and-transform (issue 20):
//! every case of their connection-detail tests that has a counterpart here,
//! run through the real component (and through `render` where publishing
//! is the point), each citing the repository, tag, file and case, and
//! expecting the outcome their test asserts.
//!
//! Sources (the test files are the same throughout each release series):
//! - crossplane/crossplane v1.20.11, internal/controller/apiextensions/
//!   composite/{connection,api,composition_pt}_test.go and claim/connection_test.go
//! - crossplane-contrib/function-patch-and-transform v0.10.8,
//!   {connection,validate,fn}_test.go
//!
//! Planned cases (work in progress):
//!
//! | source | test | case | outcome |
//! |---|---|---|---|
//! | XP connection_test.go | TestSecretConnectionDetailsFetcher | DoesNotPublish | render: no details, no error |
//! | XP connection_test.go | TestSecretConnectionDetailsFetcher | SecretNotPublishedYet | render: keys pending, no error |
//! | XP connection_test.go | TestSecretConnectionDetailsFetcher | Success | render: every key of the Secret readable |
//! | XP connection_test.go | TestConnectionDetailsFetcherChain | EmptyChain | no keys |
//! | XP connection_test.go | TestConnectionDetailsFetcherChain | SingleFetcherChain | one source's keys |
//! | XP connection_test.go | TestConnectionDetailsFetcherChain | MultipleFetcherChain | all keys, later wins |
//! | XP connection_test.go | TestExtractConnectionDetails | MissingNameError | FATAL names .name (waits: every problem) |
//! | XP connection_test.go | TestExtractConnectionDetails | MissingValueError | FATAL names .value |
//! | XP connection_test.go | TestExtractConnectionDetails | MissingConnectionSecretKeyError | FATAL names .fromConnectionSecretKey |
//! | XP connection_test.go | TestExtractConnectionDetails | MissingFieldPathError | FATAL names .fromFieldPath |
//! | XP connection_test.go | TestExtractConnectionDetails | FetchConfigSuccess | 5 keys, absent key left out |
//! | XP connection_test.go | TestExtractConfigsFromTemplate | NilTemplate / ExplicitName / InferredName | render of a legacy Composition |
//! | XP connection_test.go | TestConnectionDetailType | FromValueExplicit / FromValueInferred / FromConnectionSecretKeyInferred / FromFieldPathInferred / DefaultToFromConnectionSecretKey | inference order |
//! | XP api_test.go | TestPublishConnection | ResourceDoesNotPublishSecret / SuccessfulPublish / SuccessfulPublishAllWithEmptyList | render |
//! | XP api_test.go | TestConfigure | AlreadyFilled / ConnectionSecretRefMissing / NilWriteConnectionSecretsToNamespace | render |
//! | XP composition_pt_test.go | TestPTCompose | Success / PartialSuccess / ExtractConnectionDetailsError | run |
//! | XP claim/connection_test.go | TestPropagateConnection | ClaimDoesNotWantConnectionSecret / ManagedDoesNotExposeConnectionSecret (waits: claim) / SuccessfulPublish | render |
//! | PT connection_test.go | TestExtractConnectionDetails | MissingNameError (waits: every problem) / FetchConfigSuccess | run |
//! | PT connection_test.go | TestGetConnectionSecretRef | 8 cases | run, v2 XR |
//! | PT connection_test.go | TestSupportsConnectionDetails | 3 cases | run |
//! | PT validate_test.go | TestValidateConnectionDetail | 8 cases | run |
//! | PT validate_test.go | TestValidatePatch / TestValidateCombine / TestValidateTransform | writeConnectionSecretToRef.patches | run |
//! | PT fn_test.go | TestRunFunction | NoInput / DesiredResourcesArePassedThrough / ExtractCompositeConnectionDetails / ExtractCompositeConnectionDetailsV2XR (waits: earlier keys) | run |
