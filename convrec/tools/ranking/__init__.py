"""The learned ranker: candidate generators with evidence (dialogue co-mention, CF, text,
priors), one feature row per candidate, and a LightGBM lambdarank model over them, trained
on training-split ReDial dialogues only."""
