# The course's two commands: `make grade` and `make test`. Each sets up .venv on first use.
ASSIGNMENT := tensors
VENV       := .venv
PY         := $(VENV)/bin/python
NBGRADER   := $(VENV)/bin/nbgrader
STAMP      := $(VENV)/.installed
PYTHON     ?= python3.11
# nbgrader runs `alembic` (gradebook migrations) as a subprocess: it must be on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: grade test test-hub docs release reference lint clean-grades gradescope hub hub-stop hub-remove

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m compileall -q graders
	@touch $(STAMP)

## release: rebuild release/ (and the gradebook's copy of the assignment) from source/
## (the old release folder is removed first, as --force would do, but without nbgrader's
## "Removing existing assignment" warning on every run: any warning left is a real one)
release: $(STAMP)
	rm -rf release/$(ASSIGNMENT)
	$(NBGRADER) generate_assignment $(ASSIGNMENT) --force --log-level=WARN

## grade: build the release, grade everything in submitted/ (demo set if there is none) with
## the graders engine, write autograded/, feedback/ and grades.csv, print the score table, then
## write the instructor's report (reports/<assignment>/index.html) and print its summary
grade: release
	@test -d submitted || (echo "submitted/ is empty: copying in the demo submissions (demo/)"; \
	  $(PY) -m graders demo)
	@# The engine's exit status is non-zero only if a submission could not be recorded: the
	@# others still get feedback and grades, then make reports the failure.
	$(PY) -m graders autograde $(ASSIGNMENT); status=$$?; \
	$(NBGRADER) generate_feedback $(ASSIGNMENT) --log-level=WARN && \
	$(NBGRADER) export --to grades.csv --log-level=WARN && \
	echo && $(PY) -m graders table --assignment $(ASSIGNMENT) && \
	echo && $(PY) -m graders report $(ASSIGNMENT) && exit $$status

## docs: build the documentation site (docs/ -> site/) with MkDocs; warnings are errors
docs: $(STAMP)
	$(PY) -m mkdocs build --strict

## reference: rerun the source solution and store its values in graders/checks/reference_values.json
reference: $(STAMP)
	$(PY) -m graders reference

## gradescope: write dist/$(ASSIGNMENT)-gradescope.zip, the autograder to upload to Gradescope
gradescope: $(STAMP)
	$(PY) -m graders gradescope $(ASSIGNMENT)

## test: ruff and the test suite (about 14 minutes on 2 cores, busy throughout)
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest --ignore=tests/test_hub.py --ignore=tests/test_soak.py

## test-hub: the real JupyterHub in a browser and the grading service's soak (root: it makes
## Unix accounts; about 8 minutes, 12 the first time, which builds the hub's own venv); CI runs it
test-hub: $(STAMP)
	$(PY) -m pytest -n 0 tests/test_hub.py tests/test_soak.py

lint: $(STAMP)
	$(PY) -m ruff check .

## clean-grades: remove what `make grade` writes (never submitted/)
clean-grades:
	rm -rf autograded feedback grades.csv gradebook.db reports

## hub: set up and start a real JupyterHub for the course on 127.0.0.1 (needs root: it creates
## Unix accounts; see hub/hub.py): students submit in JupyterLab's Assignment List and
## `graders serve` (a hub service, run as the instructor) releases their feedback
hub:
	python3 hub/hub.py start

## hub-stop: stop the hub, its users' servers and the grading service
hub-stop:
	python3 hub/hub.py stop

## hub-remove: stop the hub, delete its accounts and its folder (HUB_ROOT, /srv/tensors-hub)
hub-remove:
	python3 hub/hub.py remove
