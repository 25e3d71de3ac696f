//! Service errors. Each kind corresponds to one of Camunda's exception classes, so the
//! REST layer can answer with Camunda's status code and body.

use crate::bpmn::Rejected;
use crate::runtime::RuntimeError;
use crate::store::StoreError;

/// Why a service call failed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Something named in the request does not exist (Camunda's `NotFoundException`;
    /// the REST layer picks 404, 400 or 500 per endpoint as Camunda does).
    #[error("{0}")]
    NotFound(String),
    /// The request is invalid (`InvalidRequestException` / `BadUserRequestException`).
    #[error("{0}")]
    BadRequest(String),
    /// A required value is missing (`NullValueException`, 500 in Camunda).
    #[error("{0}")]
    NullValue(String),
    /// The engine refused the operation (`ProcessEngineException`, 500).
    #[error("{0}")]
    Engine(String),
    /// Another worker holds the external task's lock, or the lock expired.
    #[error("{0}")]
    Lock(String),
    /// The user task is claimed by someone else (`TaskAlreadyClaimedException`).
    #[error("{0}")]
    AlreadyClaimed(String),
    /// A message could not be correlated (`MismatchingMessageCorrelationException`).
    #[error("{0}")]
    Correlation(String),
    /// A deployed resource is not valid BPMN (`ParseException`).
    #[error("{}", .rejected.message_for(.resource))]
    Parse {
        /// The resource name.
        resource: String,
        /// Every problem.
        rejected: Rejected,
    },
    /// The process failed while running the command (an expression, a gateway, ...).
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server is shutting down.
    #[error("procos is shutting down")]
    ShuttingDown,
}

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;
