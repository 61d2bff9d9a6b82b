using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Transfer.Backbones;
using Transfer.IO;
using Transfer.Images;

namespace Transfer.Models;

/// <summary>
/// Exports a <see cref="TransferModel"/> as one ONNX file that any ONNX Runtime (Python, JavaScript, C++, mobile) scores
/// with no Transfer code: decoded RGB pixels of any size in, class probabilities and the predicted label out, the
/// model's resize, normalisation, test-time augmentation, (fine-tuned) backbone and head inside. docs/EXPORT.md
/// describes the file. Static extension members (as <c>TransferModel.Create</c>), so Transfer.Scoring needs no
/// ONNX-graph packages.
/// </summary>
public static class TransferModelExport
{
    /// <summary>The graph's input: RGB pixels, uint8 [N, H, W, 3] (any H and W; one size per batch).</summary>
    public const string ImageInput = "image";

    /// <summary>The graph's probabilities output: float [N, C], in the order of the <c>classes</c> metadata.</summary>
    public const string ProbabilitiesOutput = "probabilities";

    /// <summary>The graph's label output: string [N], the class with the highest probability (the first on a tie).</summary>
    public const string LabelOutput = "label";

    /// <summary>What the caller must do before feeding the graph, also in the file's <c>input_contract</c> metadata.</summary>
    public const string InputContract = "RGB uint8 NHWC [N, H, W, 3], any H and W (one size per batch), EXIF orientation applied, alpha composited by the caller";

    extension(TransferModel model)
    {
        /// <summary>
        /// Writes the whole model as one ONNX file (opset 13; written to a temporary file and renamed into place):
        /// input <see cref="ImageInput"/>, outputs <see cref="ProbabilitiesOutput"/> and <see cref="LabelOutput"/>,
        /// class names, preprocessing and provenance in its metadata.
        /// </summary>
        /// <param name="path">The ONNX file to write.</param>
        /// <exception cref="NotSupportedException">The head cannot be expressed in ONNX; the message names it and the heads that export.</exception>
        /// <exception cref="IOException">The file cannot be written; any existing file is left as it was.</exception>
        public void ExportOnnx(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            var onnx = ToOnnx(model);
            string full = Path.GetFullPath(path);
            try
            {
                AtomicFile.Write(full, onnx.WriteTo);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"ONNX file \"{full}\" could not be written: {e.Message} Choose a path in a writable folder; {(File.Exists(full) ? "the existing file is unchanged" : "no file was created")}.", e);
            }
        }

        /// <summary>Builds the ONNX model that <see cref="ExportOnnx(TransferModel, string)"/> writes.</summary>
        /// <returns>The ONNX model's bytes.</returns>
        /// <exception cref="NotSupportedException">The head cannot be expressed in ONNX; the message names it and the heads that export.</exception>
        public byte[] ExportOnnxBytes() => ToOnnx(model).ToByteArray();
    }

    private static ModelProto ToOnnx(TransferModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var manifest = model.Manifest;
        var result = ModelProto.Parser.ParseFrom(model.GetBackboneGraph().Span);
        var g = result.Graph;
        var w = new OnnxGraphWriter("export/");

        // uint8 NHWC → float NCHW → the model's resize → planar A, R, G, B, the backbone graph's Pixels input.
        string image = w.OpInts("Transpose", [w.ToFloat(ImageInput)], "perm", [0, 3, 1, 2]);
        string pixels = OnnxExportResize.Append(w, image, manifest.Width, manifest.Height, Enum.Parse<ResizeMode>(manifest.ResizeMode));
        w.Op("Identity", [pixels], BackboneTensorNames.Pixels);

        var head = new OnnxGraphWriter("export/head/");
        var (scores, opsets) = OnnxExportHead.Append(head, model, BackboneTensorNames.Features);
        var probabilities = new OnnxGraphWriter("export/label/");
        probabilities.Op("Identity", [scores], ProbabilitiesOutput);
        string best = probabilities.Op("ArgMax", [ProbabilitiesOutput], ("axis", 1L), ("keepdims", 0L));
        probabilities.Op("Gather", [probabilities.Strings(manifest.Classes), best], LabelOutput, ("axis", 0L));

        // In topological order: resize, backbone, head, label.
        var all = w.Nodes.Concat(g.Node).Concat(head.Nodes).Concat(probabilities.Nodes).ToList();
        var added = w.Initializers.Concat(head.Initializers).Concat(probabilities.Initializers).ToList();
        CheckNames(g, added);
        g.Node.Clear();
        g.Node.AddRange(all);
        g.Initializer.AddRange(added);
        g.Input.Clear();
        g.Input.Add(OnnxGraphWriter.TensorInfo(ImageInput, TensorProto.Types.DataType.Uint8, "batch", "height", "width", 3));
        g.Output.Clear();
        g.Output.Add(OnnxGraphWriter.TensorInfo(ProbabilitiesOutput, TensorProto.Types.DataType.Float, "batch", manifest.Classes.Count));
        g.Output.Add(OnnxGraphWriter.TensorInfo(LabelOutput, TensorProto.Types.DataType.String, "batch"));
        g.Name = "transfer_" + manifest.Backbone;
        foreach (var opset in opsets.Where(o => !result.OpsetImport.Any(r => r.Domain == o.Domain)))
        {
            result.OpsetImport.Add(opset);
        }

        result.ProducerName = "Transfer";
        result.ProducerVersion = manifest.TransferVersion;
        result.DocString = $"Transfer image classifier ({manifest.Backbone}, head {manifest.Head}). Input \"{ImageInput}\": {InputContract}. Outputs \"{ProbabilitiesOutput}\" float [N, {manifest.Classes.Count}] and \"{LabelOutput}\" string [N].";
        result.MetadataProps.Clear();
        foreach (var (key, value) in Metadata(manifest))
        {
            result.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return result;
    }

    /// <summary>The metadata keys the file carries (docs/EXPORT.md lists them).</summary>
    internal static IEnumerable<(string Key, string Value)> Metadata(ModelManifest manifest)
    {
        yield return ("classes", JsonArray(manifest.Classes));
        yield return ("preprocessing", manifest.Preprocessing);
        yield return ("resize_mode", manifest.ResizeMode);
        yield return ("alpha_background", manifest.AlphaBackground.ToString("X6", CultureInfo.InvariantCulture));
        yield return ("input_size", string.Create(CultureInfo.InvariantCulture, $"{manifest.Width}x{manifest.Height}"));
        yield return ("input_contract", InputContract);
        yield return ("backbone", manifest.Backbone);
        yield return ("backbone_fingerprint", manifest.BackboneFingerprint);
        yield return ("backbone_quantization", manifest.BackboneQuantization ?? "none");
        yield return ("test_time_augmentation", manifest.TestTimeAugmentation.ToString());
        yield return ("head", manifest.Head);
        yield return ("head_description", manifest.HeadDescription);
        yield return ("transfer_version", manifest.TransferVersion);
        yield return ("created_utc", manifest.CreatedUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        yield return ("exported_utc", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
    }

    private static string JsonArray(IReadOnlyList<string> values)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var v in values)
            {
                json.WriteStringValue(v);
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Refuses a merge whose added initializers reuse a name the backbone graph already has.</summary>
    private static void CheckNames(GraphProto backbone, IEnumerable<TensorProto> added)
    {
        var names = backbone.Initializer.Select(t => t.Name).Concat(backbone.Node.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        var clash = added.FirstOrDefault(t => names.Contains(t.Name));
        if (clash is not null)
        {
            throw new NotSupportedException($"The backbone graph already has a tensor named \"{clash.Name}\", which the export adds too. Rename that tensor in the backbone's ONNX model.");
        }
    }
}
