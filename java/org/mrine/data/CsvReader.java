package org.mrine.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mrine.io.FormatException;

/**
 * A numeric CSV table with a header row: each column is a variable of one value per row. The
 * delimiter is a comma, or a tab or semicolon when the header has no comma. Empty cells and
 * NaN are missing values; anything else that is not a number is an error naming line and column.
 */
public final class CsvReader implements VariableSource {
    private final String file;
    private final Map<String, double[]> columns = new LinkedHashMap<>();
    private final int rows;

    private CsvReader(String file, List<String> header, double[][] cols, int rows) {
        this.file = file;
        for (int c = 0; c < header.size(); c++) columns.put(header.get(c), cols[c]);
        this.rows = rows;
    }

    public static CsvReader open(Path path) {
        String where = path.toString();
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String head = in.readLine();
            if (head == null || head.isBlank()) throw new FormatException(where + ": empty file; expected a header row of column names");
            if (head.startsWith("\uFEFF")) head = head.substring(1);
            char sep = head.indexOf(',') >= 0 ? ',' : head.indexOf('\t') >= 0 ? '\t' : head.indexOf(';') >= 0 ? ';' : ',';
            List<String> header = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (String h : split(head, sep)) {
                String name = unquote(h.strip());
                if (name.isEmpty()) name = "column_" + (header.size() + 1);
                if (!seen.add(name)) throw new FormatException(where + ": line 1: column name '" + name + "' appears twice; expected unique names");
                header.add(name);
            }
            int C = header.size();
            double[][] cols = new double[C][1024];
            int n = 0;
            String line;
            int lineNo = 1;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                String[] cells = split(line, sep);
                if (cells.length != C) {
                    throw new FormatException(where + ": line " + lineNo + " has " + cells.length + " fields, expected " + C
                            + " (one per header column; truncated file?)");
                }
                if (n == cols[0].length) for (int c = 0; c < C; c++) cols[c] = Arrays.copyOf(cols[c], n * 2);
                for (int c = 0; c < C; c++) cols[c][n] = parse(cells[c], where, lineNo, header.get(c));
                n++;
            }
            if (n == 0) throw new FormatException(where + ": no data rows after the header");
            for (int c = 0; c < C; c++) cols[c] = Arrays.copyOf(cols[c], n);
            return new CsvReader(where, header, cols, n);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException(where + ": no such file", e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new FormatException(where + ": not UTF-8 text; expected a CSV table", e);
        } catch (IOException e) {
            throw new UncheckedIOException(where + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String[] split(String line, char sep) {
        return line.split(java.util.regex.Pattern.quote(String.valueOf(sep)), -1);
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }

    private static double parse(String cell, String where, int line, String column) {
        String s = unquote(cell.strip());
        if (s.isEmpty() || s.equalsIgnoreCase("nan") || s.equalsIgnoreCase("na")) return Double.NaN;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            if (s.equalsIgnoreCase("inf")) return Double.POSITIVE_INFINITY;
            if (s.equalsIgnoreCase("-inf")) return Double.NEGATIVE_INFINITY;
            if (s.equalsIgnoreCase("true")) return 1;
            if (s.equalsIgnoreCase("false")) return 0;
            throw new FormatException(where + ": line " + line + ", column " + column + ": '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s)
                    + "' is not a number");
        }
    }

    public int rows() {
        return rows;
    }

    @Override
    public String file() {
        return file;
    }

    @Override
    public String format() {
        return "csv";
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(columns.keySet());
    }

    @Override
    public NumericArray read(String name) {
        double[] c = columns.get(name);
        if (c == null) throw new FormatException(file + ": no column '" + name + "' (the header has " + abbreviated(names()) + ")");
        return new NumericArray(name, "float64", new int[] {c.length}, c);
    }

    static String abbreviated(List<String> names) {
        return names.size() <= 20 ? names.toString()
                : names.subList(0, 20) + " and " + (names.size() - 20) + " more";
    }

    @Override
    public String summary(String name) {
        return rows + " values";
    }

    @Override
    public void close() {
        columns.clear();
    }
}
