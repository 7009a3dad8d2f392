"""Scoring code models (`studio bench`): suites of game tasks, the checks that judge the games
the models made, and the reports. (The speed of Studio itself is measured in `benchmarks/`.)

A run is the operation `studio.operations.scoring_run`, which generates each task's game and
plays it with `play`. Qt-free except `studio.scoring.play`, the player that runs the
headless playtest. The pieces:

- `suite`: the TOML suite format (tasks, follow-ups, checks), read and validated;
- `checks`: the small declarative check language and its evaluation;
- `plan`: the input script a playtest follows so that every check can be judged;
- `observe`: what one playtest saw (report, state and layout samples);
- `play`: playing a game with a step's input plan, sampling state and layout;
- `results`: per-result records on disk and the per-model summary;
- `report`: the text table, JSON, CSV and HTML report;
- `outputs`: the end of a run or of a merge: every result summarised and reported;
- `shards`: `--shard K/N` slices of a run's units, and merging the shards' out folders.
"""
