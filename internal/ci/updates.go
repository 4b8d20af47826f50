package ci

import (
	"fmt"
	"strings"
)

// The check run updates other than a Runner's outcome.

func requeuedUpdate() CheckUpdate {
	return CheckUpdate{Status: statusQueued, Title: "Queued",
		Summary: "Waiting for mobu to run the changed notebooks (queued again after mobu restarted)."}
}

// duplicateUpdate concludes a check left by an earlier mobu when a job of
// the same commit is already queued under another check.
func duplicateUpdate() CheckUpdate {
	return CheckUpdate{Status: statusCompleted, Conclusion: conclusionCancelled, Title: "Replaced",
		Summary: "mobu restarted; this commit is checked again in another check run."}
}

func inProgressUpdate(user string) CheckUpdate {
	return CheckUpdate{Status: statusInProgress, Title: "Running notebooks",
		Summary: fmt.Sprintf("Running notebooks as %s…", user)}
}

func noNotebooksUpdate() CheckUpdate {
	return CheckUpdate{Status: statusCompleted, Conclusion: conclusionSuccess, Title: "No changed notebooks to run",
		Summary: "This pull request adds, changes or renames no notebooks (`*.ipynb`)."}
}

func supersededUpdate(sha string) CheckUpdate {
	return CheckUpdate{Status: statusCompleted, Conclusion: conclusionCancelled, Title: "Superseded",
		Summary: "Superseded by " + sha}
}

func stoppedUpdate() CheckUpdate {
	return CheckUpdate{Status: statusCompleted, Conclusion: conclusionFailure, Title: "mobu stopped",
		Summary: "mobu stopped, re-run this check"}
}

// interruptedUpdate concludes a running job that Stop cancelled: superseded
// if a newer job had already replaced it, else stopped.
func interruptedUpdate(e *entry) CheckUpdate {
	return interruptedOr(e, stoppedUpdate())
}

func listErrorUpdate(err error) CheckUpdate {
	return CheckUpdate{Status: statusCompleted, Conclusion: conclusionFailure, Title: "Could not list the changed files",
		Summary: "mobu could not list this pull request's files; re-run this check.\n\n" +
			fence(truncate(clean(err.Error()), 10000), "")}
}

// runErrorUpdate reports a Runner that could not run the notebooks at all.
func runErrorUpdate(err error, user string, notebooks []string) CheckUpdate {
	w := &budget{limit: maxOutputChars}
	w.add(fmt.Sprintf("mobu could not run the changed notebooks as %s:\n\n", code(user)))
	w.add(fence(truncate(clean(err.Error()), 30000), ""))
	w.add("\nChanged notebooks:\n\n")
	items := make([]string, len(notebooks))
	for i, nb := range notebooks {
		items[i] = "- " + code(nb) + "\n"
	}
	w.list(items, 100, func(n int) string { return fmt.Sprintf("- … and %s more\n", plural(n, "notebook")) })
	return CheckUpdate{Status: statusCompleted, Conclusion: conclusionFailure,
		Title: "Error running notebooks", Summary: strings.TrimRight(w.String(), "\n")}
}
