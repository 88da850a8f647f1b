"""Collaborative filtering: the ratings matrix, the item scorers, and how one is chosen.

This room holds the CF models (EASE, implicit ALS, ItemKNN, popularity behind one
`ItemScorer` interface), the MovieLens ratings as a users x items matrix (`Interactions`),
and model selection (the held-out split, the validation grids, the ranx metrics, the
comparison `train_cf` ships the best of). It sits between the catalog and the tools: it may
import `convrec.catalog`, `convrec.config`, `convrec.errors` and libraries, never
`convrec.tools`, `agent`, `eval` or above. The rank_cf tool and the cf index folder live in
`convrec.tools.cf` and `convrec.tools.cf_index`; `convrec.eval.bench_cf` only measures.
"""
