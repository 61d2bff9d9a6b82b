namespace Transfer.Models;

/// <summary>A class added to a trained model from its images alone (<c>TransferModel.AddClass</c>, <c>transfer add-class</c>).</summary>
/// <param name="Label">The class name.</param>
/// <param name="Images">The number of images it was made from.</param>
/// <param name="Method">How the head learned it (e.g. <c>imprint</c>, <c>prototype</c>, <c>knn</c>).</param>
/// <param name="AddedUtc">When it was added (UTC).</param>
public sealed record AddedClass(string Label, int Images, string Method, DateTimeOffset AddedUtc);
