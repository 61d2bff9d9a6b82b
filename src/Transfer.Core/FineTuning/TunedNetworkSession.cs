using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Transfer.FineTuning;

/// <summary>
/// Runs a <see cref="TunedNetwork"/>'s training step and forward pass in ONNX Runtime over buffers it owns: the
/// parameters (backbone and head, flat, in <see cref="TunedNetwork.Parameters"/> order) are bound in place as inputs
/// and the gradients as outputs, so a step copies nothing but the batch.
/// </summary>
internal sealed class TunedNetworkSession : IDisposable
{
    private readonly InferenceSession? _train;
    private readonly InferenceSession _forward;
    private readonly List<OrtValue> _fixedValues = []; // the parameter and gradient tensors over this object's arrays
    private readonly List<(ParameterTensor Tensor, OrtValue Value, OrtValue Gradient)> _parameterValues = [];
    private readonly float[] _targets;
    private readonly float[] _rowWeights;
    private readonly float[] _loss = new float[1];
    private bool _disposed;

    /// <param name="network">The network.</param>
    /// <param name="maxBatch">The most rows a call passes.</param>
    /// <param name="threads">ONNX Runtime's intra-op threads.</param>
    /// <param name="training">Whether to create the training graph too (otherwise only <see cref="Forward"/> runs).</param>
    public TunedNetworkSession(TunedNetwork network, int maxBatch, int threads, bool training = true)
    {
        Network = network;
        MaxBatch = maxBatch;
        var parameters = network.Parameters;
        int backbone = parameters.Where(p => p.IsBackbone).Sum(p => p.Length);
        BackboneParameters = new float[backbone];
        HeadParameters = new float[network.Classes * (network.FeatureLength + 1)];
        BackboneGradient = new float[backbone];
        HeadGradient = new float[HeadParameters.Length];
        Trunk = new float[(long)maxBatch * network.TrunkLength];
        LogProbabilities = new float[maxBatch * network.Classes];
        Features = new float[maxBatch * network.FeatureLength];
        _targets = new float[maxBatch * network.Classes];
        _rowWeights = new float[maxBatch];
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            _forward = new InferenceSession(TrainingGraph.Build(network, gradients: false).ToByteArray(), options);
            _train = training ? new InferenceSession(TrainingGraph.Build(network, gradients: true).ToByteArray(), options) : null;
        }
        catch
        {
            _forward?.Dispose();
            throw;
        }

        int backboneOffset = 0;
        int headOffset = 0;
        foreach (var p in parameters)
        {
            var (values, gradients, offset) = p.IsBackbone ? (BackboneParameters, BackboneGradient, backboneOffset) : (HeadParameters, HeadGradient, headOffset);
            _parameterValues.Add((p, Fixed(values.AsMemory(offset, p.Length), p.Dims), Fixed(gradients.AsMemory(offset, p.Length), p.Dims)));
            if (p.IsBackbone)
            {
                backboneOffset += p.Length;
            }
            else
            {
                headOffset += p.Length;
            }
        }
    }

    public TunedNetwork Network { get; }

    public int MaxBatch { get; }

    /// <summary>Gets the backbone's parameters: each tuned convolution's weight (column layout) and bias.</summary>
    public float[] BackboneParameters { get; }

    /// <summary>Gets the head's parameters: weights [classes, features] row-major, then biases.</summary>
    public float[] HeadParameters { get; }

    public float[] BackboneGradient { get; }

    public float[] HeadGradient { get; }

    /// <summary>Gets the input rows: fill the first <c>count</c> × <see cref="TunedNetwork.TrunkLength"/> before a call.</summary>
    public float[] Trunk { get; }

    /// <summary>Gets the log-probabilities of the last call's rows.</summary>
    public float[] LogProbabilities { get; }

    /// <summary>Gets the head's input features of the last call's rows.</summary>
    public float[] Features { get; }


    /// <summary>Runs one training step on the first <paramref name="count"/> rows of <see cref="Trunk"/>: fills the gradients (of the mean loss) and the log-probabilities.</summary>
    /// <returns>The mean cross-entropy of the rows.</returns>
    public double Step(int count, ReadOnlySpan<int> labels, RunOptions runOptions) =>
        Run(_train ?? throw new InvalidOperationException("This session was created without the training graph."), count, labels, runOptions, gradients: true);

    /// <summary>Runs the forward pass on the first <paramref name="count"/> rows: log-probabilities and features.</summary>
    /// <returns>The mean cross-entropy of the rows against <paramref name="labels"/> (any labels when only the outputs matter).</returns>
    public double Forward(int count, ReadOnlySpan<int> labels, RunOptions runOptions) => Run(_forward, count, labels, runOptions, gradients: false);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var value in _fixedValues)
        {
            value.Dispose();
        }

        _train?.Dispose();
        _forward.Dispose();
    }

    private double Run(InferenceSession session, int count, ReadOnlySpan<int> labels, RunOptions runOptions, bool gradients)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count < 1 || count > MaxBatch || labels.Length < count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Pass 1 to {MaxBatch} rows with a label each.");
        }

        int classes = Network.Classes;
        Array.Clear(_targets, 0, count * classes);
        for (int i = 0; i < count; i++)
        {
            _targets[(i * classes) + labels[i]] = 1f;
        }

        _rowWeights.AsSpan(0, count).Fill(1f / count);
        using var binding = session.CreateIoBinding();
        using var trunk = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Trunk.AsMemory(0, count * Network.TrunkLength), [count, Network.TrunkLength]);
        using var targets = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _targets.AsMemory(0, count * classes), [count, classes]);
        using var rowWeights = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _rowWeights.AsMemory(0, count), [count, 1]);
        using var logProbabilities = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, LogProbabilities.AsMemory(0, count * classes), [count, classes]);
        using var features = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Features.AsMemory(0, count * Network.FeatureLength), [count, Network.FeatureLength]);
        using var loss = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _loss.AsMemory(), []);
        binding.BindInput(TrainingGraph.TrunkInput, trunk);
        binding.BindInput(TrainingGraph.TargetsInput, targets);
        binding.BindInput(TrainingGraph.RowWeightsInput, rowWeights);
        binding.BindOutput(TrainingGraph.LogProbabilitiesOutput, logProbabilities);
        binding.BindOutput(TrainingGraph.FeaturesOutput, features);
        binding.BindOutput(TrainingGraph.LossOutput, loss);
        foreach (var (tensor, value, gradient) in _parameterValues)
        {
            binding.BindInput(tensor.Name, value);
            if (gradients)
            {
                binding.BindOutput(tensor.GradientName, gradient);
            }
        }

        session.RunWithBinding(runOptions, binding);
        return _loss[0];
    }

    private OrtValue Fixed(Memory<float> memory, long[] dims)
    {
        var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, dims);
        _fixedValues.Add(value);
        return value;
    }
}
