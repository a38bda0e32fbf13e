//! FunctionRunnerService declared by hand over [`BytesCodec`], once per
//! protocol package Crossplane calls: v1 (Crossplane 1.17 and later, v2)
//! and v1beta1 (1.14–1.16), the same messages under another name.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::codec::BytesCodec;
use super::function::ConnectionDetailsFunction;

/// gRPC's own limit on a request, when `--max-recv-message-size` is unset.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 << 20;

/// The request bytes the server holds at once, across all connections.
///
/// A call reserves the largest request it may receive before its body is
/// read, and keeps the reservation until its response is ready. A call
/// that finds the budget spent waits, its body unread: HTTP/2's flow
/// control then holds the client's bytes on the client's side.
pub struct RequestBudget {
    kibibytes: Arc<Semaphore>,
    per_call: u32,
}

impl RequestBudget {
    /// `total_bytes` shared by calls of at most `max_request_bytes` each; a
    /// budget smaller than one request admits one call at a time.
    pub fn new(total_bytes: usize, max_request_bytes: usize) -> Self {
        let total = (total_bytes / 1024).max(1);
        let per_call = u32::try_from(max_request_bytes.div_ceil(1024).clamp(1, total)).unwrap_or(u32::MAX);
        Self { kibibytes: Arc::new(Semaphore::new(total)), per_call }
    }

    /// How many more calls a reservation can be made for now.
    pub fn calls(&self) -> usize {
        self.kibibytes.available_permits() / self.per_call as usize
    }

    async fn reserve(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.kibibytes).acquire_many_owned(self.per_call).await.ok()
    }
}

/// A protocol package that carries FunctionRunnerService.
pub trait Package: Send + Sync + 'static {
    /// The fully qualified service name.
    const SERVICE: &'static str;
    /// The path of its one method, `/<service>/RunFunction`.
    const RUN_FUNCTION: &'static str;
}

pub enum V1 {}
pub enum V1beta1 {}

impl Package for V1 {
    const SERVICE: &'static str = "apiextensions.fn.proto.v1.FunctionRunnerService";
    const RUN_FUNCTION: &'static str = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";
}

impl Package for V1beta1 {
    const SERVICE: &'static str = "apiextensions.fn.proto.v1beta1.FunctionRunnerService";
    const RUN_FUNCTION: &'static str = "/apiextensions.fn.proto.v1beta1.FunctionRunnerService/RunFunction";
}

/// The service of one package, routed by tonic under its name.
pub struct RunnerService<P> {
    function: Arc<ConnectionDetailsFunction>,
    max_request_bytes: usize,
    budget: Arc<RequestBudget>,
    package: PhantomData<P>,
}

impl<P> RunnerService<P> {
    /// Larger requests than `max_request_bytes` are refused with
    /// OUT_OF_RANGE; every call's body waits for its share of `budget`.
    pub fn new(function: Arc<ConnectionDetailsFunction>, max_request_bytes: usize, budget: Arc<RequestBudget>) -> Self {
        Self { function, max_request_bytes, budget, package: PhantomData }
    }
}

impl<P> Clone for RunnerService<P> {
    fn clone(&self) -> Self {
        Self {
            function: Arc::clone(&self.function),
            max_request_bytes: self.max_request_bytes,
            budget: Arc::clone(&self.budget),
            package: PhantomData,
        }
    }
}

impl<P: Package> NamedService for RunnerService<P> {
    const NAME: &'static str = P::SERVICE;
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<P: Package> tower_service::Service<http::Request<Body>> for RunnerService<P> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != P::RUN_FUNCTION {
            return Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) });
        }
        if let Err(stopping) = self.function.take_call() {
            return Box::pin(async { Ok(stopping.into_http()) });
        }
        let method = RunFunction(Arc::clone(&self.function));
        let mut grpc = Grpc::new(BytesCodec).apply_max_message_size_config(Some(self.max_request_bytes), None);
        let budget = Arc::clone(&self.budget);
        Box::pin(async move {
            let Some(_reserved) = budget.reserve().await else {
                // The budget is never closed; were it, the call could not run.
                return Ok(Status::unavailable("the server takes no calls now").into_http());
            };
            Ok(grpc.unary(method, request).await)
        })
    }
}

/// The unary method, as tonic's `Grpc::unary` calls it.
struct RunFunction(Arc<ConnectionDetailsFunction>);

impl UnaryService<Bytes> for RunFunction {
    type Response = Bytes;
    type Future = BoxFuture<Response<Bytes>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let function = Arc::clone(&self.0);
        Box::pin(async move { function.run_function(request.into_inner()).await.map(Response::new) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{Runtime, Settings};

    fn grpc_status(response: &http::Response<Body>) -> Option<&str> {
        response.headers().get("grpc-status").and_then(|value| value.to_str().ok())
    }

    /// Between SIGTERM and the GOAWAY on its connection, a call that
    /// arrives is refused by the service itself, before its body is read:
    /// UNAVAILABLE, which Crossplane retries.
    #[tokio::test]
    async fn a_call_after_the_signal_is_unavailable_before_its_body_is_read() {
        let function = ConnectionDetailsFunction::new(Runtime::embedded(&Settings::default()).unwrap());
        let budget = Arc::new(RequestBudget::new(DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_REQUEST_BYTES));
        let mut service = RunnerService::<V1>::new(Arc::clone(&function), DEFAULT_MAX_REQUEST_BYTES, budget);
        let call = || http::Request::post(V1::RUN_FUNCTION).body(Body::empty()).unwrap();

        let before = tower_service::Service::call(&mut service, call()).await.unwrap();
        assert_ne!(grpc_status(&before), Some("14"), "still taking calls");

        function.stop_taking_calls();
        let after = tower_service::Service::call(&mut service, call()).await.unwrap();
        assert_eq!(grpc_status(&after), Some("14"), "{:?}", after.headers());
    }

    #[tokio::test]
    async fn a_call_waits_for_the_budget_with_its_body_unread() {
        let budget = RequestBudget::new(8 << 20, 4 << 20);
        assert_eq!(budget.calls(), 2);
        let first = budget.reserve().await.unwrap();
        let _second = budget.reserve().await.unwrap();
        let third = tokio::time::timeout(std::time::Duration::from_millis(100), budget.reserve()).await;
        assert!(third.is_err(), "a third call of 4 MiB fitted into 8 MiB");
        drop(first);
        assert!(budget.reserve().await.is_some());
    }

    #[test]
    fn a_budget_below_one_request_admits_one_call_at_a_time() {
        assert_eq!(RequestBudget::new(1 << 20, 4 << 20).calls(), 1);
    }
}
