"""What a run's status.json says about its cost, rounds and agents: worked out one way for the
general reader and for a listing's short path."""

from __future__ import annotations

from typing import Any

from massgen_plugins.logs import files as f


def by_outcome(rounds: Any) -> tuple[Any, dict[str, int]]:
    """rounds.by_outcome as found (None when absent), and its whole-number counts."""
    outcomes = f.get(rounds, "by_outcome")
    return outcomes, {k: int(v) for k, v in (outcomes if isinstance(outcomes, dict) else {}).items()
                      if isinstance(v, int) and not isinstance(v, bool)}


def failed_agents(status: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """status.json's agents, and those it records with an error."""
    s_agents = f.mapping(status.get("agents"))
    return s_agents, tuple(str(a) for a, s in s_agents.items() if isinstance(s, dict) and (
        s.get("status") == "error" or isinstance(s.get("error"), dict)))


def usage_cost(usage: Any) -> float | None:
    """An agent's cost from its token_usage; None when its tokens were priced at $0 (MassGen
    had no price for the model)."""
    cost = f.number(usage, "estimated_cost")
    if cost is not None and cost == 0 and (int(f.number(usage, "input_tokens") or 0)
                                           + int(f.number(usage, "output_tokens") or 0)) > 0:
        cost = None
    return None if cost is None and usage else (cost or 0.0)


def cost_of(recorded: float | None, spent: int, free: tuple[str, ...],
            unpriced: tuple[str, ...], later: int | None,
            uncounted: tuple[str, ...] = ()) -> tuple[float | None, str | None]:
    """The attempt's cost, or None with the reason it is unknown.

    MassGen writes $0 for a model it has no price for ("No pricing found" in massgen.log):
    tokens spent at $0 are an unknown cost, not a free one. `free`: the agents whose cost
    is unknown (see usage_cost); `spent`: the attempt's input and output tokens;
    `uncounted`: the agents that streamed while MassGen counted none of their tokens.
    """
    if later is not None:
        return None, f"counted in attempt_{later}'s totals, which are cumulative"
    if uncounted:
        return None, (f"MassGen recorded no tokens for {', '.join(uncounted)}, which streamed "
                      "before the run stopped")
    if recorded is None:
        return None, "no cost was recorded (no status.json or metrics_summary.json totals)"
    if not free and not (recorded == 0 and spent > 0):
        return recorded, None
    why = (f"MassGen logged 'No pricing found' for {', '.join(unpriced)}"
           if unpriced else "MassGen estimated $0 for the tokens spent (no price for the model?)")
    if recorded and free:
        why += f"; its ${recorded:.4f} leaves out {', '.join(free)}"
    return None, why
