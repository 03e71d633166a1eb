using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class MyModuleTests
{
    [Fact]
    public void Every_assignment_registers_and_parameters_yield_from_each_module()
    {
        using var mdl = new MyModule(784, 50, 10);

        // Lesson 04, cell 14: for p in mdl.parameters(): print(p.shape).
        Assert.Equal([[50L, 784], [50], [10, 50], [10]], mdl.Parameters().Select(p => p.shape));
        Assert.Equal(["l1", "l2"], mdl.Modules.Keys);
        Assert.Same(mdl.L1, mdl.Modules["l1"]);
    }

    [Fact]
    public void Prints_its_registry_like_the_lesson()
    {
        using var mdl = new MyModule(784, 50, 10);

        Assert.Equal(
            "{'l1': Linear(in_features=784, out_features=50, bias=True), 'l2': Linear(in_features=50, out_features=10, bias=True)}",
            mdl.ToString());
    }

    [Fact]
    public void Assigning_again_replaces_the_registered_module()
    {
        using var mdl = new MyModule(784, 50, 10);
        var old = mdl.L2;

        mdl.L2 = nn.Linear(50, 3);

        Assert.Equal(["l1", "l2"], mdl.Modules.Keys);
        Assert.Equal([3L, 50], mdl.Parameters().ElementAt(2).shape);
        old.Dispose();
    }

    [Fact]
    public void Holds_what_torch_s_registry_holds_for_the_same_layers()
    {
        manual_seed(1);
        using var mdl = new MyModule(784, 50, 10);
        manual_seed(1);
        using var mlp = new Mlp(784, 50, 10);

        Assert.All(mdl.Parameters().Zip(mlp.parameters()), pair => Assert.True(pair.First.Equals(pair.Second)));
    }
}
