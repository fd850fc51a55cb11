package org.mrine.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.mrine.backend.cpu.CpuCalibration;
import org.mrine.bench.TrainStep;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mrine} command. */
@Command(name = "mrine", mixinStandardHelpOptions = true, version = "mrine 0.1.0",
        footer = {"", "Exit status: 0 done, 2 bad input (one line naming the file and what was expected), 3 training diverged,",
                "1 an internal error. --debug (with any command) also prints the stack trace of an error."},
        description = "MRINE: multiscale latent dynamics of neural activity, trained and run in Java.",
        subcommands = {LossCommand.class, CheckCommand.class, BenchCommand.class, SimulateCommand.class, TrainCommand.class,
                EvaluateCommand.class, DemoCommand.class, DistCommand.class,
                ImportCommand.class, InspectCommand.class, StreamCommand.class, SweepCommand.class,
                ServeCommand.class, TuneCommand.class})
public final class Main implements Runnable {

    /** The flag, accepted anywhere on the command line, that adds stack traces to error messages. */
    static final String DEBUG = "--debug";

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit status (tests call this directly). */
    public static int execute(String... args) {
        // the CPU calibration (mrine tune, or the launcher's first use) chooses the thread count on the training step itself
        CpuCalibration.timeStepsWith(TrainStep::calibrationStep);
        List<String> rest = new ArrayList<>();
        boolean debug = false, options = true;
        for (String a : args) {
            if (options && a.equals(DEBUG)) {
                debug = true;
                continue;
            }
            if (a.equals("--")) options = false;
            rest.add(a);
        }
        final boolean withTrace = debug;
        CommandLine cl = new CommandLine(new Main());
        // Every failure reaches the user as one line (Failures says which status it gets); --debug adds the trace.
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> Failures.report(ex, cmd.getErr(), withTrace));
        cl.setParameterExceptionHandler((ex, params) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String name = ex.getCommandLine().getCommandSpec().qualifiedName();
            String hint = "";
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                hint = "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
            }
            err.println(name + ": " + Failures.oneLine(ex.getMessage()) + hint + " (see " + name + " --help)");
            if (withTrace) ex.printStackTrace(err);
            err.flush();
            return 2;
        });
        try {
            return cl.execute(rest.toArray(String[]::new));
        } catch (Error e) { // picocli passes errors (out of memory) on: they get their one line too
            return Failures.report(e, cl.getErr(), withTrace);
        }
    }
}
