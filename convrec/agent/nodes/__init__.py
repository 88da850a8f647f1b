"""The graph's nodes, one module each: understand, policy, plan, act, respond.

A node reads the state, does its one job with the logic modules of convrec.agent,
and returns the state keys it changes. Progress goes to the stream writer.
"""
