"""Type stubs of the extension module: the bridge under the `synthgate` package. Use the
package's functions; these are its building blocks."""

from typing import Any, Callable, Optional

import pyarrow as pa

__version__: str

class SynthgateError(Exception): ...
class UsageError(SynthgateError): ...
class InputError(SynthgateError): ...
class SpecError(SynthgateError): ...
class GateFailed(SynthgateError): ...
class VerificationFailed(SynthgateError): ...
class EnvironmentFailed(SynthgateError): ...
class InternalError(SynthgateError): ...

class CancelToken:
    def __init__(self) -> None: ...
    def cancel(self) -> None: ...
    def cancelled(self) -> bool: ...

class NativeModel:
    synthesizer: str
    seed: int
    training_rows: int
    warnings: list[str]
    schema: str
    privacy: Optional[str]
    def sample(
        self,
        rows: int,
        seed: Optional[int],
        conditions: list[tuple[str, str]],
        progress: Optional[Callable[[str], Any]] = None,
        cancel: Optional[CancelToken] = None,
    ) -> pa.Table: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(bytes: bytes, label: str) -> "NativeModel": ...

class NativeReport:
    def json(self) -> str: ...
    def html(self) -> str: ...
    def statuses(self) -> list[tuple[str, str]]: ...

def read_table(path: str, na: list[str], schema: Optional[str] = None) -> tuple[pa.Table, list[str]]: ...
def write_table(data: Any, path: str, force: bool, schema: Optional[str] = None) -> None: ...
def profile(data: Any, na: list[str]) -> str: ...
def fit(
    data: Any,
    na: list[str],
    synthesizer: str,
    parameters: list[tuple[str, str]],
    seed: int,
    min_category_count: int,
    tail_count: int,
    schema: Optional[str] = None,
    epsilon: Optional[float] = None,
    delta: Optional[float] = None,
    progress: Optional[Callable[[str], Any]] = None,
    cancel: Optional[CancelToken] = None,
) -> NativeModel: ...
def evaluate(
    train: Any,
    holdout: Any,
    synthetic: Any,
    na: list[str],
    target: Optional[str],
    sensitive: list[str],
    min_group_rows: Optional[int],
    secret: Optional[str],
    seed: int,
    resamples: Optional[int],
    schema: Optional[str] = None,
    progress: Optional[Callable[[str], Any]] = None,
    cancel: Optional[CancelToken] = None,
) -> NativeReport: ...
def call(
    verb: str,
    request_json: str,
    home: Optional[str] = None,
    progress: Optional[Callable[[str], Any]] = None,
    cancel: Optional[CancelToken] = None,
) -> str: ...
def api_version() -> int: ...
def _internal_error_probe() -> None: ...
