package org.mrine.cli;

import java.io.PrintStream;
import org.mrine.reference.ReferenceFixture;

/** The per-tensor comparison table printed by {@code mrine loss} and {@code mrine check}. */
final class FixtureTable {
    private FixtureTable() {
    }

    /** Prints the table and returns whether every compared tensor passed. */
    static boolean print(ReferenceFixture.Result r, boolean quiet, PrintStream out) {
        if (!quiet) {
            out.printf("%-52s %12s %9s  %s%n", "tensor", "rel. error", "tolerance", "");
            for (ReferenceFixture.Comparison c : r.comparisons()) {
                out.printf("%-52s %12.3e %9.0e  %s%n", c.name(), c.relativeError(), c.tolerance(), c.passed() ? "ok" : "FAIL");
            }
        }
        long failed = r.comparisons().stream().filter(c -> !c.passed()).count();
        if (r.comparisons().isEmpty()) {
            out.printf("%s: computed %d tensors; the file holds no expected values to compare%n", r.source(), r.computed().size());
            return true;
        }
        out.printf("%s: %d compared, %d failed; worst rel. error: outputs %.2e, losses %.2e, gradients %.2e%n",
                r.source().getFileName(), r.comparisons().size(), failed, r.worst("out."), r.worst("loss."), r.worst("grad."));
        return failed == 0;
    }
}
