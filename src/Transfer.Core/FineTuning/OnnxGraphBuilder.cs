using Google.Protobuf;
using Onnx;

namespace Transfer.FineTuning;

/// <summary>
/// Writes an ONNX graph node by node, naming each result uniquely, with one element type (float, or double for the
/// gradient checks) for every input, output and floating-point constant.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private const int Opset = 13;
    private readonly GraphProto _graph;
    private int _next;

    /// <param name="name">The graph's name.</param>
    /// <param name="elementType">The floating-point type of every tensor: <see cref="TensorProto.Types.DataType.Float"/> or <see cref="TensorProto.Types.DataType.Double"/>.</param>
    public OnnxGraphBuilder(string name, TensorProto.Types.DataType elementType = TensorProto.Types.DataType.Float)
    {
        if (elementType is not TensorProto.Types.DataType.Float and not TensorProto.Types.DataType.Double)
        {
            throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "The element type must be Float or Double.");
        }

        _graph = new GraphProto { Name = name };
        ElementType = elementType;
    }

    public TensorProto.Types.DataType ElementType { get; }

    /// <summary>Declares a graph input; a <see langword="null"/> dimension is the dynamic batch.</summary>
    public string Input(string name, params long?[] dims)
    {
        _graph.Input.Add(Info(name, ElementType, dims));
        return name;
    }

    /// <summary>Declares <paramref name="tensor"/> as a graph output named <paramref name="name"/> (through an Identity when the names differ).</summary>
    public string Output(string name, string tensor, params long?[] dims)
    {
        if (tensor != name)
        {
            AddNode("Identity", [tensor], [name], []);
        }

        _graph.Output.Add(Info(name, ElementType, dims));
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string op, string[] inputs, params Attribute[] attributes)
    {
        string output = $"{op.ToLowerInvariant()}_{_next++}";
        AddNode(op, inputs, [output], attributes);
        return output;
    }

    /// <summary>A constant of the element type; a scalar when <paramref name="dims"/> is empty.</summary>
    public string Constant(double[] values, params long[] dims)
    {
        string name = $"const_{_next++}";
        var t = new TensorProto { Name = name, DataType = (int)ElementType };
        t.Dims.AddRange(dims);
        if (ElementType == TensorProto.Types.DataType.Double)
        {
            t.DoubleData.AddRange(values);
        }
        else
        {
            t.FloatData.AddRange(values.Select(v => (float)v));
        }

        _graph.Initializer.Add(t);
        return name;
    }

    public string Scalar(double value) => Constant([value]);

    /// <summary>A 1-D int64 constant (shapes, axes, pads, slice bounds).</summary>
    public string Ints(params long[] values)
    {
        string name = $"ints_{_next++}";
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    public string Gemm(string a, string b, string? c = null, bool transA = false, bool transB = false) =>
        Node("Gemm", c is null ? [a, b] : [a, b, c], Attribute.Int("transA", transA ? 1 : 0), Attribute.Int("transB", transB ? 1 : 0));

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Sub(string a, string b) => Node("Sub", [a, b]);

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string Div(string a, string b) => Node("Div", [a, b]);

    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Ints(shape)]);

    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], Attribute.Ints("perm", perm));

    public string Slice(string x, long[] starts, long[] ends, long[] axes, long[]? steps = null) =>
        Node("Slice", steps is null ? [x, Ints(starts), Ints(ends), Ints(axes)] : [x, Ints(starts), Ints(ends), Ints(axes), Ints(steps)]);

    public string Concat(string[] inputs, long axis) => inputs.Length == 1 ? inputs[0] : Node("Concat", inputs, Attribute.Int("axis", axis));

    public string ReduceSum(string x, long[] axes, bool keepDims = false) => Node("ReduceSum", [x, Ints(axes)], Attribute.Int("keepdims", keepDims ? 1 : 0));

    public string ReduceMean(string x, long[] axes, bool keepDims = false) => Node("ReduceMean", [x], Attribute.Ints("axes", axes), Attribute.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>Zero where <paramref name="mask"/> is false, <paramref name="x"/> elsewhere (broadcasting).</summary>
    public string Where(string mask, string x) => Node("Where", [mask, x, Scalar(0)]);

    /// <summary>Pads with zeros: <paramref name="pads"/> holds every axis's begin pads, then every axis's end pads (ONNX order).</summary>
    public string Pad(string x, params long[] pads) => pads.All(p => p == 0) ? x : Node("Pad", [x, Ints(pads)]);

    public ModelProto ToModel()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "Transfer", Graph = _graph.Clone() };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        return model;
    }

    public byte[] ToBytes() => ToModel().ToByteArray();

    private void AddNode(string op, string[] inputs, string[] outputs, Attribute[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var a in attributes)
        {
            node.Attribute.Add(a.Proto);
        }

        _graph.Node.Add(node);
    }

    private static ValueInfoProto Info(string name, TensorProto.Types.DataType type, long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is long v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    /// <summary>A node attribute.</summary>
    internal readonly record struct Attribute(AttributeProto Proto)
    {
        public static Attribute Int(string name, long value) => new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

        public static Attribute Ints(string name, long[] values)
        {
            var proto = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            proto.Ints.AddRange(values);
            return new(proto);
        }
    }
}
