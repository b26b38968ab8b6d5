"""The seed's agent workload with the seed's Design C logger: 5000 iterations x 3 agents x 5
actions, each action logged with a 3-field payload, then `finalize()`. `plain` runs the same
work, with the same functions defined the same way, and no logging: the difference is what
logging costs. Run by run.py, which measures this process's CPU time from outside."""

import sys

ITERATIONS = 5000
AGENTS = ("planner", "executor", "critic")
ACTIONS = 5


def work(i, a, k):
    """The agent's own work, the same in the Rust program."""
    return (i * 31 + a * 7 + k) % 1000


def logged(logs_dir):
    from workflow_logger_decorator import SimpleContextLogger, interaction, iteration

    logger = SimpleContextLogger("seed_workload", logs_dir)
    total = 0
    for i in range(1, ITERATIONS + 1):
        # As the seed's usage does: the decorators take the iteration number and the agent.
        @iteration(logger, iteration_number=i)
        def do_iteration():
            nonlocal total
            for a, agent in enumerate(AGENTS):

                @interaction(logger, agent)
                def do_agent():
                    nonlocal total
                    for k in range(ACTIONS):
                        v = work(i, a, k)
                        logger.log_action(
                            "tool_call", {"query": f"q{k}", "top_k": k, "score": v / 1000}
                        )
                        total += v

                do_agent()

        do_iteration()
    logger.finalize()
    return total


def plain():
    total = 0
    for i in range(1, ITERATIONS + 1):

        def do_iteration():
            nonlocal total
            for a, agent in enumerate(AGENTS):

                def do_agent():
                    nonlocal total
                    for k in range(ACTIONS):
                        v = work(i, a, k)
                        payload = {"query": f"q{k}", "top_k": k, "score": v / 1000}
                        total += v + len(payload) - 3

                do_agent()

        do_iteration()
    return total


if __name__ == "__main__":
    if sys.argv[1] == "log":
        print(logged(sys.argv[2]))
    else:
        print(plain())
