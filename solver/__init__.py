"""Timetable optimiser for B2B brokerage events (independent of the web app)."""
from .greedy import greedy
from .instance import (InputError, Instance, Meeting, Participant, Slot, Solution,
                       instance_from_dict, instance_to_dict, load_instance, load_solution,
                       solution_from_dict, solution_to_dict)
from .model import solve
from .reasons import explain_unscheduled
from .validate import evaluate, validate

__all__ = [
    "InputError", "Instance", "Meeting", "Participant", "Slot", "Solution",
    "evaluate", "explain_unscheduled", "greedy", "instance_from_dict", "instance_to_dict",
    "load_instance", "load_solution", "solution_from_dict", "solution_to_dict", "solve",
    "validate",
]
