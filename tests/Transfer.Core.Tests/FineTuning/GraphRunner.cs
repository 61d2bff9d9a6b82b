using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Transfer.Core.Tests.FineTuning;

/// <summary>Runs a small ONNX graph on named float or double inputs and returns every output as doubles.</summary>
internal sealed class GraphRunner : IDisposable
{
    private readonly InferenceSession _session;

    public GraphRunner(ModelProto model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(model.ToByteArray(), options);
    }

    public Dictionary<string, double[]> Run(IReadOnlyDictionary<string, (double[] Values, long[] Dims)> inputs, bool asFloat = false)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (var (_, (v, d)) in inputs)
            {
                values.Add(asFloat ? OrtValue.CreateTensorValueFromMemory(v.Select(x => (float)x).ToArray(), d) : OrtValue.CreateTensorValueFromMemory(v, d));
            }

            var names = _session.OutputNames.ToList();
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, inputs.Keys.ToList(), values, names);
            var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
            for (int i = 0; i < names.Count; i++)
            {
                result[names[i]] = asFloat ? [.. outputs[i].GetTensorDataAsSpan<float>().ToArray().Select(x => (double)x)] : outputs[i].GetTensorDataAsSpan<double>().ToArray();
            }

            return result;
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
    }

    public void Dispose() => _session.Dispose();

    /// <summary>
    /// Central differences of the scalar output <paramref name="lossOutput"/> at a few spread-out entries of
    /// <paramref name="input"/>, compared with the analytic gradient; returns the worst relative error.
    /// </summary>
    public double WorstGradientError(Dictionary<string, (double[] Values, long[] Dims)> inputs, string input, double[] analytic, string lossOutput, int spots = 12, double step = 1e-6)
    {
        var x = inputs[input].Values;
        double worst = 0;
        for (int t = 0; t < Math.Min(spots, x.Length); t++)
        {
            int i = (int)((t * 7919L) % x.Length);
            double saved = x[i];
            x[i] = saved + step;
            double plus = Run(inputs)[lossOutput][0];
            x[i] = saved - step;
            double minus = Run(inputs)[lossOutput][0];
            x[i] = saved;
            double numeric = (plus - minus) / (2 * step);
            double error = Math.Abs(numeric - analytic[i]) / Math.Max(1e-7, Math.Abs(numeric) + Math.Abs(analytic[i]));
            worst = Math.Max(worst, error);
        }

        return worst;
    }

    public static double[] Random(Random random, int length, double scale, double offset = 0) =>
        [.. Enumerable.Range(0, length).Select(_ => ((random.NextDouble() * 2) - 1) * scale + offset)];
}
