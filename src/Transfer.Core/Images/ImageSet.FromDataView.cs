using Microsoft.ML;
using Microsoft.ML.Data;

namespace Transfer.Images;

/// <content>Taking images from an ML.NET data view.</content>
public sealed partial class ImageSet
{
    /// <summary>
    /// Takes images from an ML.NET data view: an image column holding a file path (text) or encoded bytes
    /// (<c>byte[]</c> / vector of bytes, as <c>LoadRawImageBytes</c> makes), and a label column (text, or a key with text values).
    /// </summary>
    /// <param name="data">The data view.</param>
    /// <param name="imageColumn">The image column's name.</param>
    /// <param name="labelColumn">The label column's name.</param>
    /// <param name="imageFolder">For path columns: the folder relative paths are resolved against (default: the current folder).</param>
    /// <returns>The set.</returns>
    /// <exception cref="DatasetException">A column is missing or of an unsupported type.</exception>
    public static ImageSet FromDataView(IDataView data, string imageColumn, string labelColumn, string? imageFolder = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(imageColumn);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        var imageCol = data.Schema.GetColumnOrNull(imageColumn) ?? throw new DatasetException($"Column \"{imageColumn}\" is not in the data view (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}). Pass the name of the image path or bytes column.");
        var labelCol = data.Schema.GetColumnOrNull(labelColumn) ?? throw new DatasetException($"Column \"{labelColumn}\" is not in the data view (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}). Pass the name of the label column.");
        var labelGetterFactory = LabelReader.Create(labelCol);
        bool isPath = imageCol.Type is TextDataViewType;
        bool isBytes = imageCol.Type is VectorDataViewType { ItemType: NumberDataViewType n } && n.RawType == typeof(byte);
        if (!isPath && !isBytes)
        {
            throw new DatasetException($"Column \"{imageColumn}\" has type {imageCol.Type}; expected text (a file path) or a vector of bytes (encoded image, as LoadRawImageBytes makes).");
        }

        string folder = Path.GetFullPath(imageFolder ?? Directory.GetCurrentDirectory());
        var entries = new List<ImageEntry>();
        using var cursor = data.GetRowCursor(new[] { imageCol, labelCol });
        var readLabel = labelGetterFactory(cursor);
        var pathGetter = isPath ? cursor.GetGetter<ReadOnlyMemory<char>>(imageCol) : null;
        var bytesGetter = isBytes ? cursor.GetGetter<VBuffer<byte>>(imageCol) : null;
        ReadOnlyMemory<char> path = default;
        VBuffer<byte> bytes = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            string label = readLabel();
            if (pathGetter is not null)
            {
                pathGetter(ref path);
                entries.Add(ImageEntry.FromFile(Path.Combine(folder, path.ToString()), label));
            }
            else
            {
                bytesGetter!(ref bytes);
                entries.Add(ImageEntry.FromBytes(bytes.DenseValues().ToArray(), label, $"{imageColumn}[row {row}]"));
            }

            row++;
        }

        if (entries.Count == 0)
        {
            throw new DatasetException($"The data view has no rows; nothing to train on.");
        }

        var classes = entries.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new ImageSet(entries, classes, [], isPath ? folder : null);
    }
}
