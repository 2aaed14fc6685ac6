"""The grading engine: runs jobs in sealed children of a warm template (:mod:`.pool`, or on a Dask
cluster, :mod:`.dask_pool`, both a :class:`.pools.Pool`), with their sandbox policy
(:mod:`.sandbox`), caps (:mod:`.cgroups`) and clean-up (:mod:`.scratch`, :mod:`.run_folder`).

Written by hand, standard library only (nbgrader only in :mod:`.nbgrader_caching` and :mod:`.runs`,
Dask only in its modules): jupyter_client and nbclient start one kernel per notebook and talk
ZeroMQ to it; forking a warm, sealed process per run and reading plain frames from it is what none
of them does. The engine imports none of the stages (:mod:`graders.preprocessors`) and nothing of
:mod:`graders.autograde`."""
