package org.mrine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mrine} command. */
@Command(name = "mrine", mixinStandardHelpOptions = true, version = "mrine 0.1.0",
        description = "MRINE: multiscale latent dynamics of neural activity, trained and run in Java.",
        subcommands = {LossCommand.class, CheckCommand.class, BenchCommand.class, SimulateCommand.class, TrainCommand.class,
                EvaluateCommand.class, DemoCommand.class, DistCommand.class,
                ImportCommand.class, InspectCommand.class, StreamCommand.class, TuneCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit status (tests call this directly). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // Bad input is the user's to fix: one clear line, no stack trace.
            if (ex instanceof org.mrine.io.FormatException || ex instanceof IllegalArgumentException
                    || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("mrine: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
