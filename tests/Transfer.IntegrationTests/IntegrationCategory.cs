// Every test in this project runs the real ResNet18 (or real end-to-end paths on it), so all carry the trait
// Category=Integration: 'dotnet test --filter "Category!=Integration"' is the fast unit-test loop on the tiny backbone.
[assembly: AssemblyTrait("Category", "Integration")]
