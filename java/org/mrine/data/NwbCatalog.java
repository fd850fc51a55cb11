package org.mrine.data;

import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What an NWB file holds, found by one walk over its groups (bulk data is not read): units
 * tables, time series (any group with a {@code data} dataset and {@code starting_time} or
 * {@code timestamps}, whatever its neurodata_type), and intervals tables. Each series is
 * classified by its type and container so the importer knows what to take by default.
 */
final class NwbCatalog {

    /** What a series is for. */
    enum Kind {
        /** ElectricalSeries in an LFP container, or at a field-potential rate: a Gaussian modality. */
        LFP,
        /** ElectricalSeries at a raw (spike-band) rate: listed, not imported unless named. */
        RAW_EPHYS,
        /** RoiResponseSeries (fluorescence, dF/F): a Gaussian modality. */
        CALCIUM,
        /** SpatialSeries, or a series in a behavior container or module: behavior. */
        BEHAVIOR,
        /** Images (ImageSeries, TwoPhotonSeries): not imported. */
        IMAGE,
        /** Any other TimeSeries: imported only when named. */
        OTHER
    }

    /** A series found in the file; {@code rate} is null when it has timestamps instead. */
    record Entry(String path, String type, String container, Kind kind, int[] dims, String dtype, Double rate,
                 Double startingTime, int timestampCount, String unit) {

        int samples() {
            return dims.length == 0 ? 1 : dims[0];
        }

        int channels() {
            int c = 1;
            for (int i = 1; i < dims.length; i++) c *= dims[i];
            return c;
        }

        String name() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    /** A DynamicTable-like group: units or intervals. */
    record Table(String path, String type, int rows, List<String> columns) {
    }

    /** Above this rate an ElectricalSeries outside an LFP container counts as raw data, Hz. */
    static final double RAW_RATE_HZ = 2500;

    private static final Set<String> BEHAVIOR_CONTAINERS = Set.of("Position", "BehavioralTimeSeries", "BehavioralEvents",
            "BehavioralEpochs", "CompassDirection", "EyeTracking", "PupilTracking", "SpatialSeries");
    private static final Set<String> IMAGE_TYPES = Set.of("ImageSeries", "TwoPhotonSeries", "OnePhotonSeries",
            "ImageMaskSeries", "OpticalSeries");

    final List<Entry> series = new ArrayList<>();
    final List<Table> units = new ArrayList<>();
    final List<Table> intervals = new ArrayList<>();

    static NwbCatalog scan(Hdf5 h) {
        NwbCatalog c = new NwbCatalog();
        h.call("/", () -> {
            c.walk(h, h.root(), null, 0);
            return null;
        });
        return c;
    }

    private void walk(Hdf5 h, Group g, String containerType, int depth) {
        if (depth > 32) return;
        String path = Hdf5.path(g);
        if (path.equals("/specifications")) return;
        String type = h.attrString(g, "neurodata_type");
        var children = g.getChildren();
        if ("Units".equals(type) || (path.equals("/units") && children.containsKey("spike_times"))) {
            units.add(table(h, g, type));
        } else if ("TimeIntervals".equals(type) || (children.containsKey("start_time") && children.containsKey("stop_time")
                && path.startsWith("/intervals"))) {
            intervals.add(table(h, g, type));
        }
        Node data = children.get("data");
        if (data instanceof Dataset d && (children.containsKey("starting_time") || children.containsKey("timestamps"))) {
            series.add(entry(h, g, d, type, containerType));
        }
        for (Node child : children.values()) {
            if (child instanceof Group cg && !child.isLink()) walk(h, cg, type, depth + 1);
        }
    }

    private static Table table(Hdf5 h, Group g, String type) {
        List<String> cols = new ArrayList<>(List.of(h.attrStrings(g, "colnames")));
        int rows = -1;
        Dataset id = h.datasetOrNull(g, "id");
        if (id != null) {
            int[] dims = h.dims(id);
            rows = dims.length == 0 ? 1 : dims[0];
        }
        return new Table(Hdf5.path(g), type == null ? "" : type, rows, cols);
    }

    private static Entry entry(Hdf5 h, Group g, Dataset data, String type, String containerType) {
        String path = Hdf5.path(g);
        int[] dims = h.dims(data);
        Double rate = null, start = null;
        int nts = -1;
        Dataset st = h.datasetOrNull(g, "starting_time");
        Dataset ts = h.datasetOrNull(g, "timestamps");
        if (ts != null) {
            int[] td = h.dims(ts);
            nts = td.length == 0 ? 1 : td[0];
        } else if (st != null) {
            rate = h.attrNumber(st, "rate");
            if (h.isNumeric(st)) start = h.scalar(st, "the starting time in seconds");
        }
        String unit = h.attrString(data, "unit");
        String t = type == null ? "TimeSeries" : type;
        Kind kind = classify(path, t, containerType, rate, ts == null ? null : nts);
        return new Entry(path, t, containerType == null ? "" : containerType, kind, dims, h.typeName(data), rate, start, nts,
                unit == null ? "" : unit);
    }

    private static Kind classify(String path, String type, String container, Double rate, Integer timestamps) {
        if (IMAGE_TYPES.contains(type)) return Kind.IMAGE;
        if (type.equals("ElectricalSeries")) {
            if ("LFP".equals(container) || "FilteredEphys".equals(container)) return Kind.LFP;
            return rate != null && rate > RAW_RATE_HZ ? Kind.RAW_EPHYS : Kind.LFP;
        }
        if (type.equals("RoiResponseSeries")) return Kind.CALCIUM;
        if (type.equals("SpatialSeries") || BEHAVIOR_CONTAINERS.contains(container) || path.startsWith("/processing/behavior/")) {
            return Kind.BEHAVIOR;
        }
        return Kind.OTHER;
    }

    Entry find(String path) {
        String p = path.startsWith("/") ? path : "/" + path;
        if (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
        for (Entry e : series) if (e.path().equals(p)) return e;
        return null;
    }

    List<Entry> ofKind(Kind... kinds) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : series) for (Kind k : kinds) if (e.kind() == k) out.add(e);
        return out;
    }
}
