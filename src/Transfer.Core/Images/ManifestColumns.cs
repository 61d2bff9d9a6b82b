namespace Transfer.Images;

/// <summary>Where a manifest's path and label are: found in its header row, or the first two columns of a headerless one.</summary>
internal sealed record ManifestColumns(int Path, int Label, IReadOnlyList<string> Header, int HeaderRows)
{
    public static ManifestColumns Find(List<(int Line, List<string> Fields)> rows, ManifestLayout layout, string manifest)
    {
        if (!layout.HasHeader)
        {
            bool header = rows.Count > 0 && rows[0].Fields.Count >= 2
                && rows[0].Fields[0].Trim().Equals("path", StringComparison.OrdinalIgnoreCase)
                && rows[0].Fields[1].Trim().Equals("label", StringComparison.OrdinalIgnoreCase);
            return new ManifestColumns(0, 1, ["path", "label"], header ? 1 : 0);
        }

        if (rows.Count == 0)
        {
            throw new DatasetException($"Manifest \"{manifest}\" is empty. Its first row is a header naming the columns, e.g. {ManifestLayout.DefaultPathColumn},{ManifestLayout.DefaultLabelColumn}; then one row per image.");
        }

        var names = rows[0].Fields.Select(h => h.Trim()).ToList();
        int path = Column(names, layout.PathColumn ?? ManifestLayout.DefaultPathColumn, layout.PathColumn is null ? ManifestLayout.FallbackPathColumn : null, nameof(ManifestLayout.PathColumn), manifest);
        int label = Column(names, layout.LabelColumn ?? ManifestLayout.DefaultLabelColumn, null, nameof(ManifestLayout.LabelColumn), manifest);
        return new ManifestColumns(path, label, names, 1);
    }

    private static int Column(List<string> header, string name, string? fallback, string property, string manifest)
    {
        int at = header.FindIndex(h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (at < 0 && fallback is not null)
        {
            at = header.FindIndex(h => h.Equals(fallback, StringComparison.OrdinalIgnoreCase));
        }

        return at >= 0 ? at
            : throw new DatasetException($"Manifest \"{manifest}\" has no column \"{name}\"{(fallback is null ? string.Empty : $" (nor \"{fallback}\")")} in its header row ({string.Join(", ", header.Select(h => $"\"{h}\""))}). Name the column ({nameof(ManifestLayout)}.{property}; transfer: --{(property == nameof(ManifestLayout.PathColumn) ? "path" : "label")}-col <column>), or add a header row.");
    }
}
