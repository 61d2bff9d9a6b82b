using System.IO.Compression;
using Microsoft.ML;
using Onnx;
using Transfer.Backbones;

namespace Transfer.Heads.Similarity;

/// <summary>Reads a similarity head's parameters back from the ONNX graph inside its ML.NET scoring transformer (a saved model's head).</summary>
internal static class SimilarityGraph
{
    /// <summary>The head's ONNX graph: the transformer saved to memory as ML.NET does, its <c>OnnxModel</c> entry parsed; <see langword="null"/> when it has none.</summary>
    public static ModelProto? FromTransformer(ITransformer scoring)
    {
        using var buffer = new MemoryStream();
        new MLContext(0).Model.Save(scoring, null, buffer);
        buffer.Position = 0;
        using var zip = new ZipArchive(buffer, ZipArchiveMode.Read);
        var entry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal));
        if (entry is null)
        {
            return null;
        }

        using var stream = entry.Open();
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        var all = bytes.ToArray();

        // ML.NET stores the ONNX model as a 32-bit length followed by the bytes.
        return all.Length > 4 && BitConverter.ToInt32(all, 0) == all.Length - 4 ? ModelProto.Parser.ParseFrom(all.AsSpan(4)) : null;
    }

    /// <summary>A float initializer's values, or <see langword="null"/> when the graph has none of that name.</summary>
    public static float[]? Floats(GraphProto graph, string name) =>
        graph.Initializer.FirstOrDefault(t => t.Name == name) is { DataType: (int)TensorProto.Types.DataType.Float } t ? BackboneGraph.ReadFloats(t) : null;
}
