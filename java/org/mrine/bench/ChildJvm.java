package org.mrine.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The start of a command line for a child JVM that runs as this one does. */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** This JVM's java and its flags; a debugger's and JFR's agents stay with this JVM. */
    public static List<String> javaAndFlags() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-XX:StartFlightRecording")) cmd.add(a);
        }
        return cmd;
    }
}
