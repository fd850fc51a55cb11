package org.mrine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.mrine.data.Alignment;
import org.mrine.data.ImportOptions;
import org.mrine.data.Importer;
import org.mrine.data.Inspector;
import org.mrine.io.Outputs;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mrine import}: a recording (NWB, NPZ, CSV, MATLAB) to a dataset file on one time grid. */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Reads a recording, bins spikes into counts and places every series on one time grid of --bin-ms"
                + " (a slower or gappy series gets a mask, never interpolated values), cuts trials, and writes a "
                + "dataset (.safetensors, atomically) that train, evaluate and stream read. Exit status 2: bad "
                + "input (the message names the file, the path or variable, and what was expected).")
final class ImportCommand implements Callable<Integer> {

    static final class Input {
        @Option(names = "--nwb", paramLabel = "FILE", description = "NWB 2.x file (HDF5)")
        Path nwb;
        @Option(names = "--npz", paramLabel = "FILE", description = "NumPy .npz archive of arrays")
        Path npz;
        @Option(names = "--csv", paramLabel = "FILE", description = "CSV table with a header row")
        Path csv;
        @Option(names = "--mat", paramLabel = "FILE", description = "MATLAB v5/v7 or v7.3 .mat file")
        Path mat;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "dataset file to write (.safetensors)")
    Path out;

    @Option(names = "--bin-ms", paramLabel = "B", description = "bin width of the time grid, ms (default: 10; for .mat/.npz/CSV rows without timestamps: the "
            + "rows are bins of B ms unless --sample-ms says otherwise)")
    Double binMs;

    @Option(names = "--sample-ms", paramLabel = "S", description = "spacing of the rows of .mat/.npz/CSV files without timestamps, ms (default: --bin-ms or a "
            + "bin_ms/dt variable)")
    Double sampleMs;

    @Option(names = "--trial-ms", paramLabel = "W", description = "trial length, ms: from each trial start (trials table), or consecutive windows (default: the "
            + "longest trial; without trials 2 s windows, or one trial when that makes fewer than 10)")
    Double trialMs;

    @Option(names = "--ignore-trials", description = "cut consecutive --trial-ms windows even when the file has a trials table")
    boolean ignoreTrials;

    @Option(names = "--intervals", paramLabel = "NAME", description = "NWB intervals table of the trials (default: ${DEFAULT-VALUE})")
    String intervals = "trials";

    @Option(names = "--trials-var", paramLabel = "VAR", description = ".mat/.npz: K×2 variable of trial start and stop times")
    String trialsVar;

    @Option(names = "--spikes", paramLabel = "X", description = "NWB units table path, .mat/.npz count matrix, CSV column pattern (default: /units; "
            + "spikes/counts; unit_*); 'none' for no spikes")
    String spikes;

    @Option(names = "--field", paramLabel = "X", description = "a neural series as a modality (repeatable): NWB TimeSeries path, variable, or column pattern; "
            + "add :poisson for counts (default: LFP and calcium series; lfp/calcium variables)")
    List<String> fields = new ArrayList<>();

    @Option(names = "--behavior", paramLabel = "X", description = "a behavior series (repeatable): NWB path, variable, or column pattern (default: SpatialSeries "
            + "and behavior modules; vel/velocity/behavior/pos; the remaining CSV columns)")
    List<String> behavior = new ArrayList<>();

    @Option(names = "--velocity", description = "also derive velocity from each behavior series (d/dt of the raw samples)")
    boolean velocity;

    @Option(names = "--time-axis", paramLabel = "AXIS", description = "which matrix axis is time: auto, rows or cols (default: ${DEFAULT-VALUE})")
    String timeAxis = "auto";

    @Option(names = "--timestamps", paramLabel = "X", description = "variable or column of row times (default: timestamp/time/t if present)")
    String timestamps;

    @Option(names = "--time-unit", paramLabel = "U", description = "unit of --timestamps and --trials-var: s or ms (default: ${DEFAULT-VALUE})")
    String timeUnit = "s";

    @Option(names = "--force", description = "replace --out even when it is not a mrine dataset (never the recording read)")
    boolean force;

    @Override
    public Integer call() {
        Path file;
        Importer.Format format;
        if (input.nwb != null) {
            file = input.nwb;
            format = Importer.Format.NWB;
        } else if (input.npz != null) {
            file = input.npz;
            format = Importer.Format.NPZ;
        } else if (input.csv != null) {
            file = input.csv;
            format = Importer.Format.CSV;
        } else {
            file = input.mat;
            format = Importer.Format.MAT;
        }
        new Outputs("import", force).input(file, "--" + format.name().toLowerCase(java.util.Locale.ROOT))
                .file(out, "--out", OutputKinds.DATASET, OutputKinds::of);
        OutputKinds.requireDatasetName(out, "--out");
        ImportOptions o = new ImportOptions();
        o.binMs = binMs;
        o.sampleMs = sampleMs;
        o.trialMs = trialMs;
        o.ignoreTrials = ignoreTrials;
        o.intervals = intervals;
        o.trialsVar = trialsVar;
        o.spikes = spikes;
        o.fields = fields;
        o.behavior = behavior;
        o.velocity = velocity;
        o.timeAxis = timeAxis;
        o.timestamps = timestamps;
        o.timeUnit = timeUnit;

        Alignment.Result r = Importer.importFile(file, format, o);
        r.dataset().save(out);
        System.out.print(Inspector.describe(out));
        for (String note : r.notes()) System.out.println("note: " + note);
        System.out.println("written to " + out);
        return 0;
    }
}
