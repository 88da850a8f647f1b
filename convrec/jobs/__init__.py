"""Long work started from the browser app (simulations, the ReDial benchmark, RL runs), run
outside the request thread in its own process and kept on disk so a page reload, or a
server restart, finds it again.

- `store`: a job's folder (`HOME/jobs/<id>/`): job.json (what was asked, written by the
  server), status.json (progress and outcome, written by the job's process), log.txt, STOP.
- `tasks`: what each kind of job runs: the same library calls as the CLI commands.
- `worker`: `python -m convrec.jobs.worker JOB_DIR` runs one job.
- `manager`: starts, queues, stops and watches jobs for one server.
"""
