"""Reports: what users read after a run -- built from the results store, never by
recomputing metrics.

=================  =============================================================
module             what it does
=================  =============================================================
``data``           read runs / items / scores / skips / timelines / floor rows
``stats``          bootstrap CIs of means and paired differences (case resampling)
``tables``         per-run and across-run tables, physics ID/OOD vs floor, skips
``compare``        paired comparison of two runs with verdicts (Bonferroni)
``gate``           regression gate and its TOML thresholds
``pick``           the rule that picks a knob's setting (motion vs warping error)
``plots``          trade-off (Pareto), timelines, physics vs floor, identity drift
``previews``       worst-case frame strips and GIFs
``build``          assemble a ``Report``; ``html`` / ``export`` render it
``synthetic``      a store with known values (tests, benchmarks, demos)
=================  =============================================================

Entry points: ``vbench_lite.reports.html.write_report(store_path, run_ids, out)``
and the CLI subcommands ``report``, ``compare``, ``sweep``, ``check``, ``pick``.
"""
