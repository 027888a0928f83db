"""The pure rules a run plans by: where each name moves, which shims can retire, what the
contracts must say, which tests need a person's decision, the checks a verification reports
and the success measures read from them.
They read an analysis and the plan, and never touch the tree, git or a process."""
