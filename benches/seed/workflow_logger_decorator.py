# The seed's Design C logger (workflow_logger_decorator.py), as the seed writes it: the
# yardstick of benches/seed/run.py. Do not edit: the comparison is against this code.
import json
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Dict, Any, List

class IterationLog:
    def __init__(self, iteration_number: int):
        self.iteration_number = iteration_number
        self.start_time = datetime.now().isoformat()
        self.end_time = None
        self.interactions = []

    def complete(self):
        self.end_time = datetime.now().isoformat()

class InteractionLog:
    def __init__(self, agent_name: str):
        self.agent_name = agent_name
        self.actions = []
        self.start_time = datetime.now().isoformat()
        self.end_time = None

    def complete(self):
        self.end_time = datetime.now().isoformat()

class SimpleContextLogger:
    def __init__(self, workflow_name: str, logs_dir: str = "logs"):
        self.workflow_name = workflow_name
        self.logs_dir = Path(logs_dir)
        self.logs_dir.mkdir(exist_ok=True)
        self.iterations: List[IterationLog] = []
        self._current_iteration: IterationLog = None
        self._current_interaction: InteractionLog = None

    def start_iteration(self, iteration_number: int):
        it = IterationLog(iteration_number)
        self.iterations.append(it)
        self._current_iteration = it

    def end_iteration(self):
        if self._current_iteration:
            self._current_iteration.complete()
            self._current_iteration = None

    def start_interaction(self, agent_name: str):
        if not self._current_iteration:
            raise RuntimeError("No current iteration to attach interaction!")
        inter = InteractionLog(agent_name)
        self._current_iteration.interactions.append(inter)
        self._current_interaction = inter

    def end_interaction(self):
        if self._current_interaction:
            self._current_interaction.complete()
            self._current_interaction = None

    def log_action(self, action_name: str, details: Dict[str, Any]):
        if not self._current_interaction:
            raise RuntimeError("No current interaction to attach action!")
        self._current_interaction.actions.append({
            "action_name": action_name,
            "timestamp": datetime.now().isoformat(),
            "details": details
        })

    def finalize(self):
        filename = self.logs_dir / f"{self.workflow_name}_{datetime.now().strftime('%Y%m%d_%H%M%S')}.json"
        data = []
        for it in self.iterations:
            data.append({
                "iteration_number": it.iteration_number,
                "start_time": it.start_time,
                "end_time": it.end_time,
                "interactions": [
                    {
                        "agent_name": inter.agent_name,
                        "start_time": inter.start_time,
                        "end_time": inter.end_time,
                        "actions": inter.actions
                    }
                    for inter in it.interactions
                ],
            })
        with open(filename, "w") as f:
            json.dump(data, f, indent=2)

# Decorators
def iteration(logger: SimpleContextLogger, iteration_number: int):
    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            logger.start_iteration(iteration_number)
            try:
                return fn(*args, **kwargs)
            finally:
                logger.end_iteration()
        return wrapper
    return decorator

def interaction(logger: SimpleContextLogger, agent_name: str):
    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            logger.start_interaction(agent_name)
            try:
                return fn(*args, **kwargs)
            finally:
                logger.end_interaction()
        return wrapper
    return decorator
