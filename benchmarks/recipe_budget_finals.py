"""The finals (seeds 0, 1, 2; validation and test, raw and EMA weights) of one given recipe,
run exactly as recipe_budget.py's final stage runs them (Search, _task, run_task), with
the rows' stage set to --stage (default "final2").

    python benchmarks/recipe_budget_finals.py --recipe benchmarks/recipe_budget_final2.recipe.json \
        --out final2.jsonl --device cuda [--smoke]

Recorded run (the variable 1064 net's finals in benchmarks/recipe_budget.json, stage
"final2"): the recipe that the follow-up screen selected (weight decay 0), on one NVIDIA
H100 80GB HBM3, 3 workers, ``--final-deadline 110``; the three seeds finished in 55 s, and
seed 0 reproduced its screen run bit for bit. The first call's finals of that net (weight
decay 1e-4) are kept in the JSON under ``finals_superseded``.
"""
import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # recipe_budget.py sits beside it
import recipe_budget as rb  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--recipe", required=True, help="JSON object: a recipe plus weights_used, lever, selected_from, selection_rule")
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="cuda")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--stage", default="final2")
    p.add_argument("--smoke", action="store_true", help="tiny data, 1 epoch")
    p.add_argument("--precision", default="bf16")
    p.add_argument("--epoch-seconds", type=rb.parse_epoch_seconds, default={1064: 6.0})
    p.add_argument("--final-deadline", type=float, default=110.0)
    p.add_argument("--grace", type=float, default=3.0)
    args = p.parse_args(argv)
    spec = json.loads(Path(args.recipe).read_text())
    seeds = [int(s) for s in args.seeds.split(",")]
    args.workers = len(seeds)
    args.deadline = args.final_deadline
    args.screen_grace = 0.0
    args.save_dir = None
    args.candidates = "given"  # settle() then queues nothing of its own
    recipe = {"init": "paper", **rb.BASE, **{k: spec[k] for k in spec if k in (*rb.BASE, "weights", "width", "epochs", "init")}}
    recipe = rb.recipe_of(recipe)
    if args.smoke:
        recipe["epochs"] = 1
    search = rb.Search(args, [])
    for seed in seeds:
        search.finals.append(search._task(
            "final", recipe, seed, stage=args.stage, lever=spec["lever"], weights_used=spec["weights_used"],
            selected_from=spec.get("selected_from"), selection_rule=spec["selection_rule"], reuse=None,
            screen_val_error_selected=spec.get("screen_val_error_selected")))
    print(f"finals of {json.dumps(recipe)} seeds {seeds} on {args.device}, final deadline {args.final_deadline:.0f} s",
          flush=True)
    rows = search.run()
    done = [r for r in rows if r.get("status") == "complete"]
    print(f"{len(rows)} runs finished ({len(done)} complete) in {time.time() - search.t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
