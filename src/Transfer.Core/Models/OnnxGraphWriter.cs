using System.Text;
using Google.Protobuf;
using Onnx;
using Transfer.Backbones;

namespace Transfer.Models;

/// <summary>
/// Appends opset-13 nodes and constants to a graph under one name prefix, each output named uniquely, so the ONNX
/// export's own steps (resize, head, label) never clash with the backbone's or the head's tensor names.
/// </summary>
internal sealed class OnnxGraphWriter
{
    private readonly string _prefix;
    private int _next;

    public OnnxGraphWriter(string prefix) => _prefix = prefix;

    public List<NodeProto> Nodes { get; } = [];

    public List<TensorProto> Initializers { get; } = [];

    /// <summary>Appends a node with one output and returns that output's name.</summary>
    public string Op(string op, string[] inputs, params (string Name, long Value)[] attributes) => Op(op, inputs, Name(op), attributes);

    /// <summary>Appends a node whose one output gets the given name (a graph output).</summary>
    public string Op(string op, string[] inputs, string output, params (string Name, long Value)[] attributes)
    {
        var node = BackboneGraph.Node(op, inputs, [output], attributes);
        node.Name = _prefix + "node_" + output.Replace(_prefix, string.Empty, StringComparison.Ordinal);
        Nodes.Add(node);
        return output;
    }

    /// <summary>Appends a node with an integer-list attribute (Transpose's perm).</summary>
    public string OpInts(string op, string[] inputs, string attribute, long[] values)
    {
        string output = Op(op, inputs);
        var a = new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        Nodes[^1].Attribute.Add(a);
        return output;
    }

    public string Float(float value) => Add(BackboneGraph.Scalar(Name("c"), value));

    public string Floats(long[] dims, IReadOnlyList<float> values) => Add(BackboneGraph.Floats(Name("c"), dims, values));

    public string Ints(params long[] values) => Add(BackboneGraph.Ints(Name("c"), values));

    public string Int(long value)
    {
        var t = new TensorProto { Name = Name("c"), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Int64Data.Add(value);
        return Add(t);
    }

    public string Strings(IReadOnlyList<string> values)
    {
        var t = new TensorProto { Name = Name("classes"), DataType = (int)TensorProto.Types.DataType.String };
        t.Dims.Add(values.Count);
        t.StringData.AddRange(values.Select(v => ByteString.CopyFrom(v, Encoding.UTF8)));
        return Add(t);
    }

    // Arithmetic on tensors (broadcasting as ONNX does).
    public string Add(string a, string b) => Op("Add", [a, b]);

    public string Sub(string a, string b) => Op("Sub", [a, b]);

    public string Mul(string a, string b) => Op("Mul", [a, b]);

    public string Div(string a, string b) => Op("Div", [a, b]);

    public string Floor(string a) => Op("Floor", [a]);

    public string Where(string condition, string a, string b) => Op("Where", [condition, a, b]);

    /// <summary>Truncates toward zero, as C#'s <c>(int)</c> cast of a float does (ONNX Cast to an integer truncates).</summary>
    public string Truncate(string a) => ToFloat(Op("Cast", [a], ("to", (long)TensorProto.Types.DataType.Int64)));

    public string ToFloat(string a) => Op("Cast", [a], ("to", (long)TensorProto.Types.DataType.Float));

    public string ToInt64(string a) => Op("Cast", [a], ("to", (long)TensorProto.Types.DataType.Int64));

    /// <summary>Clamps to [<paramref name="low"/>, <paramref name="high"/>] (scalar tensors).</summary>
    public string Clamp(string a, string low, string high) => Op("Min", [Op("Max", [a, low]), high]);

    /// <summary>Evaluates c0 + c1·x + c2·x² + c3·x³ elementwise (Horner).</summary>
    public string Cubic(string x, float c0, float c1, float c2, float c3)
    {
        string r = Add(Mul(Float(c3), x), Float(c2));
        r = Add(Mul(r, x), Float(c1));
        return Add(Mul(r, x), Float(c0));
    }

    public static ValueInfoProto TensorInfo(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    private string Add(TensorProto t)
    {
        Initializers.Add(t);
        return t.Name;
    }

    private string Name(string what) => $"{_prefix}{what}{_next++}";
}
