using System.Numerics.Tensors;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Transfer.Featurization;

namespace Transfer.Heads.MaximumEntropy;

/// <summary>
/// The smooth part of ML.NET's maximum-entropy objective over a feature matrix:
/// <c>(Σ_i −log softmax(W·x_i + b)[y_i] + ½·l2·‖W‖²) / N</c>, and its gradient. Parameters are laid out as ML.NET lays
/// them out: the class biases first, then the weights class by class.
/// </summary>
/// <remarks>
/// The scores, softmax and both matrix products run as one small ONNX graph in ONNX Runtime (its MLAS GEMM kernels use the
/// CPU's widest vectors), with the feature matrix, one-hot labels, parameters and results bound in place: no copies per
/// evaluation. MLAS splits a product over its output blocks, never over the summed dimension, so the value and gradient
/// do not depend on the thread count. The log-probabilities come back as floats; the loss sums each row's true-class
/// entry in double.
/// </remarks>
internal sealed class SoftmaxObjective : IDisposable
{
    private readonly int _rows;
    private readonly float _l2;
    private readonly float[]? _mean;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;
    private readonly List<OrtValue> _values = [];
    private readonly float[] _weights; // uncentered parameters the graph reads: weights [classes, dimension]
    private readonly float[] _biases;
    private readonly int[] _labels;
    private readonly float[] _logProbabilities; // log softmax(score), rows × classes
    private readonly float[] _weightGradient; // Σ_i (p_i − y_i) x_iᵀ
    private readonly float[] _biasGradient; // Σ_i (p_i − y_i)

    /// <param name="data">The training rows.</param>
    /// <param name="l2">The L2 weight on the weights.</param>
    /// <param name="threads">Threads ONNX Runtime may use.</param>
    /// <param name="centered">
    /// Whether the biases are taken relative to the mean feature vector: scores are <c>W·(x − μ) + b'</c>. With the
    /// penalties on <c>W</c> only, that is the same objective (<c>b = b' − W·μ</c>, see <see cref="Uncenter"/>) with a far
    /// better conditioned Hessian for non-negative features such as pooled CNN activations, so L-BFGS needs fewer steps.
    /// </param>
    public SoftmaxObjective(FeatureMatrix data, float l2, int threads, bool centered = false)
    {
        _rows = data.Count;
        Classes = data.ClassCount;
        Dimension = data.Dimension;
        _l2 = l2;
        _weights = new float[Classes * Dimension];
        _biases = new float[Classes];
        _labels = data.Labels;
        _logProbabilities = new float[(long)_rows * Classes];
        _weightGradient = new float[Classes * Dimension];
        _biasGradient = new float[Classes];
        if (centered)
        {
            _mean = Mean(data);
        }

        var oneHot = new float[(long)_rows * Classes];
        for (int i = 0; i < _rows; i++)
        {
            oneHot[((long)i * Classes) + data.Labels[i]] = 1f;
        }

        var ones = new float[_rows];
        ones.AsSpan().Fill(1f);
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(Graph(_rows, Dimension, Classes).ToByteArray(), options);
        try
        {
            _binding = _session.CreateIoBinding();
            Bind("X", data.Values.AsMemory(0, _rows * Dimension), _rows, Dimension, input: true); // the array may be longer than the rows
            Bind("Y", oneHot, _rows, Classes, input: true);
            Bind("Ones", ones, 1, _rows, input: true);
            Bind("W", _weights, Classes, Dimension, input: true);
            Bind("B", _biases, Classes, 0, input: true);
            Bind("L", _logProbabilities, _rows, Classes, input: false);
            Bind("GW", _weightGradient, Classes, Dimension, input: false);
            Bind("GB", _biasGradient, 1, Classes, input: false);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Classes { get; }

    public int Dimension { get; }

    /// <summary>Gets the number of parameters: classes biases, then classes × dimension weights.</summary>
    public int ParameterCount => Classes * (Dimension + 1);

    /// <summary>Turns centered parameters (<c>b'</c>, <c>W</c>) into plain ones in place: <c>b = b' − W·μ</c>. Does nothing when not centered.</summary>
    /// <param name="parameters">Biases then weights.</param>
    public void Uncenter(Span<float> parameters) => UncenterBiases(parameters[..Classes], parameters[Classes..]);

    /// <summary>Computes the objective at <paramref name="parameters"/> and writes its gradient.</summary>
    /// <param name="parameters">Biases then weights.</param>
    /// <param name="gradient">Receives the gradient, same layout.</param>
    /// <returns>The objective.</returns>
    public double Evaluate(ReadOnlySpan<float> parameters, Span<float> gradient)
    {
        // Scores W·(x − μ) + b' = W·x + (b' − W·μ): the graph sees plain parameters.
        parameters[..Classes].CopyTo(_biases);
        parameters[Classes..].CopyTo(_weights);
        UncenterBiases(_biases, _weights);
        _session.RunWithBinding(_runOptions, _binding);

        double loss = 0;
        for (int i = 0; i < _rows; i++)
        {
            loss -= _logProbabilities[(i * Classes) + _labels[i]];
        }

        _biasGradient.CopyTo(gradient);
        var weights = parameters[Classes..];
        var weightGradient = gradient[Classes..];
        _weightGradient.CopyTo(weightGradient);
        if (_mean is not null)
        {
            // ∂/∂W of the centered scores: Σ δ (x − μ)ᵀ = Σ δ xᵀ − (Σ δ) μᵀ; the bias gradient Σ δ is unchanged.
            for (int k = 0; k < Classes; k++)
            {
                var row = weightGradient.Slice(k * Dimension, Dimension);
                TensorPrimitives.MultiplyAdd(_mean, -gradient[k], row, row);
            }
        }

        if (_l2 > 0)
        {
            double squares = 0;
            foreach (float w in weights)
            {
                squares += w * w;
            }

            loss += 0.5 * _l2 * squares;
            TensorPrimitives.MultiplyAdd(weights, _l2, weightGradient, weightGradient);
        }

        TensorPrimitives.Multiply(gradient, 1f / _rows, gradient);
        return loss / _rows;
    }

    public void Dispose()
    {
        _binding?.Dispose();
        foreach (var value in _values)
        {
            value.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }

    private void UncenterBiases(Span<float> biases, ReadOnlySpan<float> weights)
    {
        if (_mean is null)
        {
            return;
        }

        for (int k = 0; k < Classes; k++)
        {
            biases[k] -= TensorPrimitives.Dot(weights.Slice(k * Dimension, Dimension), _mean);
        }
    }

    private void Bind(string name, Memory<float> buffer, int rows, int columns, bool input)
    {
        var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer, columns == 0 ? [rows] : [rows, columns]);
        _values.Add(value);
        if (input)
        {
            _binding.BindInput(name, value);
        }
        else
        {
            _binding.BindOutput(name, value);
        }
    }

    private static float[] Mean(FeatureMatrix data)
    {
        var sums = new double[data.Dimension];
        for (int i = 0; i < data.Count; i++)
        {
            var row = data.Values.AsSpan(i * data.Dimension, data.Dimension);
            for (int j = 0; j < data.Dimension; j++)
            {
                sums[j] += row[j];
            }
        }

        var mean = new float[data.Dimension];
        for (int j = 0; j < data.Dimension; j++)
        {
            mean[j] = (float)(sums[j] / Math.Max(1, data.Count));
        }

        return mean;
    }

    /// <summary>
    /// Z = X·Wᵀ + B; L = log softmax(Z) (an output: the loss is −Σ_i L[i, y_i]); Δ = exp(L) − Y; GW = Δᵀ·X; GB = 1ᵀ·Δ.
    /// </summary>
    private static ModelProto Graph(int rows, int dimension, int classes)
    {
        var graph = new GraphProto { Name = "maximum_entropy_objective" };
        graph.Input.Add(Tensor("X", rows, dimension));
        graph.Input.Add(Tensor("Y", rows, classes));
        graph.Input.Add(Tensor("Ones", 1, rows));
        graph.Input.Add(Tensor("W", classes, dimension));
        graph.Input.Add(Tensor("B", classes));
        graph.Node.Add(Node("Gemm", ["X", "W", "B"], "Z", ("transB", 1)));
        graph.Node.Add(Node("LogSoftmax", ["Z"], "L", ("axis", 1)));
        graph.Node.Add(Node("Exp", ["L"], "P"));
        graph.Node.Add(Node("Sub", ["P", "Y"], "Delta"));
        graph.Node.Add(Node("Gemm", ["Delta", "X"], "GW", ("transA", 1)));
        graph.Node.Add(Node("Gemm", ["Ones", "Delta"], "GB"));
        graph.Output.Add(Tensor("L", rows, classes));
        graph.Output.Add(Tensor("GW", classes, dimension));
        graph.Output.Add(Tensor("GB", 1, classes));
        var model = new ModelProto { IrVersion = 8, ProducerName = "Transfer", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        return model;
    }

    private static NodeProto Node(string opType, string[] inputs, string output, params (string Name, long Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.Add(inputs);
        node.Output.Add(output);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
        }

        return node;
    }

    private static ValueInfoProto Tensor(string name, params long[] dimensions)
    {
        var shape = new TensorShapeProto();
        foreach (long dimension in dimensions)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dimension });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
