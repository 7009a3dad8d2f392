"""`studio bench`: generate games from a suite of tasks with several models, play and check them.

Qt-free except `studio.bench.play`, the runner that plays games through the headless
playtest. The pieces:

- `suite`: the TOML suite format (tasks, follow-ups, checks), read and validated;
- `checks`: the small declarative check language and its evaluation;
- `plan`: the input script a playtest follows so that every check can be judged;
- `observe`: what one playtest saw (report, state and layout samples);
- `runner`: the async orchestration (projects, generation, automatic fix, resume);
- `results`: per-result records on disk and the per-model summary;
- `report`: the text table, JSON, CSV and HTML report.
"""
