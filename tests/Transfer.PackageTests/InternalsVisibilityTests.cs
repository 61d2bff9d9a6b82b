using System.Xml.Linq;

namespace Transfer.PackageTests;

/// <summary>No shipping package sees another's internals: what one package needs from another is public and documented.</summary>
public sealed class InternalsVisibilityTests
{
    [Fact]
    public void ShippingProjects_GiveInternalsToTestProjectsOnly()
    {
        var offenders = new List<string>();
        foreach (string project in Directory.GetFiles(RepositoryFiles.Combine("src"), "*.csproj", SearchOption.AllDirectories))
        {
            var friends = XDocument.Load(project).Descendants("InternalsVisibleTo").Select(e => e.Attribute("Include")!.Value);
            offenders.AddRange(friends.Where(f => !f.EndsWith("Tests", StringComparison.Ordinal)).Select(f => $"{Path.GetFileName(project)} -> {f}"));
        }

        Assert.True(offenders.Count == 0, "InternalsVisibleTo a shipping assembly (make the member public, or share its source): " + string.Join(", ", offenders));
    }
}
