"""The workflow engine: definitions are data files, loaded into `transitions` machines.

Pure: no database, no I/O beyond reading definition files.
"""

from workflows.definition import (
    CHEF_LEVEL,
    DEFAULT_NOUN,
    DefinitionError,
    FieldDef,
    LevelDef,
    NounDef,
    StateDef,
    TimerDef,
    TransitionDef,
    WorkflowDefinition,
    load_definition,
)
from workflows.engine import TEXT_BOX, TransitionRefused, Workflow
from workflows.registry import WorkflowRegistry, default_registry

__all__ = [
    "CHEF_LEVEL",
    "DEFAULT_NOUN",
    "TEXT_BOX",
    "DefinitionError",
    "FieldDef",
    "LevelDef",
    "NounDef",
    "StateDef",
    "TimerDef",
    "TransitionDef",
    "TransitionRefused",
    "Workflow",
    "WorkflowDefinition",
    "WorkflowRegistry",
    "default_registry",
    "load_definition",
]
