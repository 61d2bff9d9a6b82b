using System.Numerics.Tensors;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Transfer.Backbones.Quantization;

/// <summary>
/// Runs the fp32 pixels → features graph with its activation tensors added as graph outputs, over the calibration
/// pixels, twice: once for each tensor's min/max, once for its histogram; then picks each tensor's range.
/// </summary>
internal static class ActivationCalibrator
{
    private const int PercentileBins = 8192;
    private const int EntropyBins = 2048;

    /// <summary>Measures each tensor's range over the calibration pixels (planar A,R,G,B, <paramref name="count"/> images) on the fp32 Pixels → Features graph.</summary>
    public static Dictionary<string, (float Low, float High)> Calibrate(
        ModelProto fusedModel, IReadOnlyList<string> tensors, float[] pixels, int count, int width, int height, QuantizationOptions options, IProgress<QuantizationProgress>? progress, CancellationToken ct)
    {
        var model = fusedModel.Clone();
        var existing = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string t in tensors.Where(t => !existing.Contains(t)))
        {
            model.Graph.Output.Add(new ValueInfoProto
            {
                Name = t,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        using var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, IntraOpNumThreads = Environment.ProcessorCount };
        using var session = new InferenceSession(model.ToByteArray(), sessionOptions);
        int perImage = 4 * width * height;
        int n = tensors.Count;
        var min = new float[n];
        var max = new float[n];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        bool entropy = options.Method == CalibrationMethod.Entropy;
        int bins = entropy ? EntropyBins : PercentileBins;
        var histograms = new long[n][];
        for (int i = 0; i < n; i++)
        {
            histograms[i] = new long[bins];
        }

        for (int pass = 0; pass < 2; pass++)
        {
            string stage = pass == 0 ? "calibrate-range" : "calibrate-histogram";
            for (int start = 0; start < count; start += options.BatchSize)
            {
                ct.ThrowIfCancellationRequested();
                int b = Math.Min(options.BatchSize, count - start);
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(start * perImage, b * perImage), [b, 4, height, width]);
                using var runOptions = new RunOptions();
                using var outputs = session.Run(runOptions, [BackboneGraph.PixelsName], [input], tensors.ToArray());
                for (int i = 0; i < n; i++)
                {
                    var values = outputs[i].GetTensorDataAsSpan<float>();
                    if (pass == 0)
                    {
                        min[i] = Math.Min(min[i], TensorPrimitives.Min(values));
                        max[i] = Math.Max(max[i], TensorPrimitives.Max(values));
                    }
                    else if (entropy)
                    {
                        Fill(histograms[i], values, 0, Math.Max(Math.Abs(min[i]), Math.Abs(max[i])), absolute: true);
                    }
                    else
                    {
                        Fill(histograms[i], values, min[i], max[i], absolute: false);
                    }
                }

                progress?.Report(new QuantizationProgress(stage, start + b, count));
            }
        }

        var ranges = new Dictionary<string, (float, float)>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            if (!float.IsFinite(min[i]) || !float.IsFinite(max[i]))
            {
                throw new InvalidOperationException($"Calibration saw non-finite values in tensor \"{tensors[i]}\" (min {min[i]}, max {max[i]}); the calibration images or the model are unusable.");
            }

            if (entropy)
            {
                int levels = min[i] < 0 ? 128 : 256;
                float threshold = RangeEstimator.EntropyThreshold(histograms[i], Math.Max(Math.Abs(min[i]), Math.Abs(max[i])), levels);
                ranges[tensors[i]] = (Math.Max(min[i], -threshold), Math.Min(max[i], threshold));
            }
            else if (options.Method == CalibrationMethod.MinimumSquaredError)
            {
                ranges[tensors[i]] = RangeEstimator.MinimumSquaredError(histograms[i], min[i], max[i]);
            }
            else
            {
                ranges[tensors[i]] = RangeEstimator.Percentile(histograms[i], min[i], max[i], options.LowerPercentile, options.UpperPercentile);
            }
        }

        return ranges;
    }

    private static void Fill(long[] histogram, ReadOnlySpan<float> values, float low, float high, bool absolute)
    {
        int bins = histogram.Length;
        if (high <= low)
        {
            histogram[0] += values.Length;
            return;
        }

        float factor = bins / (high - low);
        foreach (float v in values)
        {
            // For entropy, exact zeros (half of every post-Relu tensor) are left out: 0 is exact in any range that holds it,
            // and their spike in the first bin would push the KL search to clip far too much.
            if (absolute && v == 0)
            {
                continue;
            }

            float x = absolute ? Math.Abs(v) : v;
            int bin = (int)((x - low) * factor);
            histogram[Math.Clamp(bin, 0, bins - 1)]++;
        }
    }
}
