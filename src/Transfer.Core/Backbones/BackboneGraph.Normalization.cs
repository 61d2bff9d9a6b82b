using Onnx;

namespace Transfer.Backbones;

/// <summary>The per-block L2 normalisation of <see cref="FeatureNormalization.L2"/>, shared with the fine-tuning trunk.</summary>
internal static partial class BackboneGraph
{
    /// <summary>The epsilon added to each block's L2 norm before dividing (keeps an all-zero block at zero).</summary>
    public const float L2Epsilon = 1e-12f;

    /// <summary>
    /// Appends the nodes that divide a [N, C] block by max(‖block‖₂, ε), <paramref name="epsilon"/> naming the scalar
    /// initializer holding <see cref="L2Epsilon"/>; returns the normalised block's name.
    /// </summary>
    public static string AppendL2Normalization(List<NodeProto> nodes, string block, string epsilon)
    {
        var norm = Node("ReduceL2", [block], [block + "_norm"], ("keepdims", 1L));
        norm.Attribute.Add(IntsAttribute("axes", [1]));
        nodes.Add(norm);
        nodes.Add(Node("Max", [block + "_norm", epsilon], [block + "_safe_norm"]));
        nodes.Add(Node("Div", [block, block + "_safe_norm"], [block + "_l2"]));
        return block + "_l2";
    }
}
