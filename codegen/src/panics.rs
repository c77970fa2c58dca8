//! Runs the generator so that a panic inside progenitor or typify becomes an error that
//! says where in the spec it happened, instead of a crash with a backtrace into someone
//! else's crate.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::{Arc, Mutex, PoisonError};

use openapiv3::OpenAPI;

use crate::operations::operations;

thread_local! {
    /// Set while this thread runs the generator: its panics are caught, not printed.
    static GENERATING: Cell<bool> = const { Cell::new(false) };
}

/// One swap of the process's panic hook at a time.
static HOOK: Mutex<()> = Mutex::new(());

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Runs `f`; a panic becomes `Err` with its message. The default panic output is silenced
/// for this thread while `f` runs; panics on other threads still print as before.
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let _one_at_a_time = HOOK.lock().unwrap_or_else(PoisonError::into_inner);
    let previous: Arc<Hook> = Arc::new(panic::take_hook());
    let chained = Arc::clone(&previous);
    panic::set_hook(Box::new(move |info| {
        if !GENERATING.with(Cell::get) {
            chained(info);
        }
    }));
    GENERATING.with(|g| g.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GENERATING.with(|g| g.set(false));
    // Dropping our hook releases its hold on the previous one, which goes back in place.
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(hook) => panic::set_hook(hook),
        Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
    }
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// Where in the spec a generator message points: the operation whose operationId it
/// names, or the component a `$ref` in it names.
pub(crate) fn locate(spec: &OpenAPI, message: &str) -> Option<String> {
    let named = |word: &str| {
        message
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .any(|w| w == word)
    };
    let by_operation = operations(spec).into_iter().find_map(|op| {
        let id = op.operation.operation_id.as_deref()?;
        named(id).then_some(op.pointer)
    });
    by_operation.or_else(|| {
        let start = message.find("#/components/")?;
        let reference: String = message[start + 1..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect();
        Some(reference)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_the_hook_comes_back() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(
            catch(|| -> u8 { panic!("more media types than expected for x: 2") }),
            Err("more media types than expected for x: 2".to_string())
        );
        let owned = catch(|| -> u8 { panic!("{}", String::from("owned")) });
        assert_eq!(owned, Err("owned".to_string()));
    }

    #[test]
    fn messages_are_located_by_operation_or_reference() {
        let spec = crate::parse(include_str!("../../spec/thena.yaml")).expect("parses");
        assert_eq!(
            locate(&spec, "more media types than expected for createTicket: 2").as_deref(),
            Some("/paths/~1v1~1tickets/post")
        );
        assert_eq!(
            locate(&spec, "$ref #/components/schemas/Gone is missing").as_deref(),
            Some("/components/schemas/Gone")
        );
        assert_eq!(locate(&spec, "something else"), None);
    }
}
