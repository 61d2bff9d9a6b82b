using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Transfer.Backbones.Quantization;

/// <summary>The error of one quantized activation tensor against fp32, over a set of images.</summary>
/// <param name="Tensor">The tensor's name in the fp32 (folded) graph.</param>
/// <param name="Node">The node that writes it (its name), or the graph input.</param>
/// <param name="OpType">That node's op type (a fused Relu's producer: <c>Conv</c> or <c>Add</c>).</param>
/// <param name="Cosine">The mean over images of the cosine between the int8 and fp32 tensor.</param>
/// <param name="RelativeError">‖int8 − fp32‖ / ‖fp32‖ over all images.</param>
/// <param name="SqnrDb">The signal-to-quantization-noise ratio, 10·log10(‖fp32‖² / ‖int8 − fp32‖²), in dB.</param>
internal sealed record LayerError(string Tensor, string Node, string OpType, double Cosine, double RelativeError, double SqnrDb);

/// <summary>
/// Where int8 loses accuracy: runs the fp32 (BatchNorm-folded) graph and the QDQ graph on the same pixels with every
/// quantized activation exposed, and compares them tensor by tensor, in graph order, then the features. The QDQ graph runs
/// unfused (basic optimizations only: fake quantization, the same rounding and clipping as the int8 kernels, without the
/// kernel-specific 16-bit saturation that <see cref="QuantizationOptions.ReduceWeightRange"/> avoids); errors accumulate,
/// so each row is the error of everything up to that tensor.
/// </summary>
internal static class LayerErrorAnalysis
{
    /// <summary>The tensor the features row is reported under.</summary>
    public const string FeaturesRow = BackboneGraph.FeaturesName;

    private const string NormalizedInput = "transfer_normalized";

    /// <summary>Compares every planned tensor of <paramref name="build"/> and the features over <paramref name="count"/> images of <paramref name="pixels"/>.</summary>
    public static List<LayerError> Measure(Backbone fp32, QdqBuild build, float[] pixels, int count, QuantizationOptions options)
    {
        // In the Pixels → Features graph the backbone's input is the preprocessing output.
        string input = fp32.Descriptor.InputName;
        var tensors = build.Plan.Tensors;
        var fp32Names = tensors.Select(t => t == input ? NormalizedInput : t).ToList();
        var producers = GraphTools.Producers(build.Quantized.Graph);
        var reference = Run(Graph(fp32, build.Folded, options, fp32Names), fp32Names, pixels, count, fp32);
        var quantized = Run(Graph(fp32, build.Quantized, options, [.. tensors.Select(t => t + "_dequantized")]), [.. tensors.Select(t => t + "_dequantized")], pixels, count, fp32);
        var rows = new List<LayerError>(tensors.Count + 1);
        for (int i = 0; i <= tensors.Count; i++)
        {
            string tensor = i < tensors.Count ? tensors[i] : FeaturesRow;
            var node = i < tensors.Count && producers.TryGetValue(tensor, out var p) ? p : null;
            var (cosine, relative, sqnr) = Compare(reference[i], quantized[i], count);
            rows.Add(new LayerError(tensor, node?.Name ?? tensor, node?.OpType ?? (i < tensors.Count ? "Input" : "Features"), cosine, relative, sqnr));
        }

        return rows;
    }

    /// <summary>Cosine (mean over images), relative error and SQNR of <paramref name="b"/> against <paramref name="a"/>, both <paramref name="count"/> images long.</summary>
    public static (double Cosine, double RelativeError, double SqnrDb) Compare(float[] a, float[] b, int count)
    {
        int per = a.Length / count;
        double cosineSum = 0, signal = 0, noise = 0;
        for (int n = 0; n < count; n++)
        {
            double dot = 0, aa = 0, bb = 0;
            for (int k = n * per; k < (n + 1) * per; k++)
            {
                double x = a[k], y = b[k];
                dot += x * y;
                aa += x * x;
                bb += y * y;
                noise += (x - y) * (x - y);
            }

            signal += aa;
            cosineSum += aa > 0 && bb > 0 ? dot / Math.Sqrt(aa * bb) : (aa == bb ? 1 : 0);
        }

        double relative = signal > 0 ? Math.Sqrt(noise / signal) : (noise > 0 ? double.PositiveInfinity : 0);
        double sqnr = noise > 0 ? 10 * Math.Log10(signal / noise) : double.PositiveInfinity;
        return (cosineSum / count, relative, sqnr);
    }

    private static ModelProto Graph(Backbone fp32, ModelProto backbone, QuantizationOptions options, IReadOnlyList<string> exposed)
    {
        var model = BackboneGraph.Build(backbone, fp32.Descriptor, options.Preprocessing.AlphaBackground, fp32.InputResized);
        foreach (string t in exposed)
        {
            model.Graph.Output.Add(new ValueInfoProto
            {
                Name = t,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        return model;
    }

    /// <summary>Runs the graph image by image; returns one array per exposed tensor (all images) and the features last.</summary>
    private static List<float[]> Run(ModelProto model, IReadOnlyList<string> exposed, float[] pixels, int count, Backbone shape)
    {
        using var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, IntraOpNumThreads = Environment.ProcessorCount };
        using var session = new InferenceSession(model.ToByteArray(), sessionOptions);
        string[] names = [.. exposed, BackboneGraph.FeaturesName];
        int perImage = 4 * shape.Width * shape.Height;
        var results = new List<float>[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            results[i] = [];
        }

        for (int n = 0; n < count; n++)
        {
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(n * perImage, perImage), [1, 4, shape.Height, shape.Width]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [BackboneGraph.PixelsName], [input], names);
            for (int i = 0; i < names.Length; i++)
            {
                results[i].AddRange(outputs[i].GetTensorDataAsSpan<float>());
            }
        }

        return [.. results.Select(r => r.ToArray())];
    }
}
