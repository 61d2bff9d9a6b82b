using Onnx;

namespace Transfer.Core.Tests;

/// <summary>Builds ONNX nodes for the small test networks (TinyCnn, TinyResNet), integer-list attributes given inline.</summary>
internal static class OnnxNodes
{
    public static NodeProto Node(string op, string name, string[] inputs, string[] outputs, params (string Name, long[] Values)[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        foreach (var (attribute, values) in attributes)
        {
            var proto = new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Ints };
            proto.Ints.AddRange(values);
            n.Attribute.Add(proto);
        }

        return n;
    }
}
