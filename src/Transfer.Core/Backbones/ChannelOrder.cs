namespace Transfer.Backbones;

/// <summary>The order of the colour planes a backbone expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (torchvision, Keras with "torch" preprocessing).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe and CNTK models, ML.NET's ResNet18).</summary>
    Bgr,
}
