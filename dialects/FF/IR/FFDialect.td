//===- FFDialect.td - the ff dialect definition ------------*- tablegen -*-===//
//
// The `ff` dialect: neural-network graphs as a frontend produces them, and the
// training structure (blocks, stop-gradient, local losses) that ffc's passes add.
//
//===----------------------------------------------------------------------===//

#ifndef FF_DIALECT_TD
#define FF_DIALECT_TD

include "mlir/IR/OpBase.td"

def FF_Dialect : Dialect {
  let name = "ff";
  let cppNamespace = "::ffc::ff";
  let summary = "Graph-level dialect for local-loss (Forward-Forward) training";
  let description = [{
    The `ff` dialect holds neural-network graphs on tensors in NCHW layout, as the
    ONNX frontend produces them: convolutions, linear layers, normalisations,
    activations, pooling and shape ops. Trainable parameters and non-trained
    state (batch-norm running statistics) are module-level `ff.param` symbols
    with their initial values, read inside functions with `ff.param_ref`.

    Every tensor has a static shape: the frontend resolves the batch dimension
    (`ffc --batch=N`) so that later passes can plan memory exactly.
  }];
}

// Tensors the graph ops accept: static shapes, any float element type.
def FF_Tensor : StaticShapeTensorOf<[AnyFloat]>;

class FF_Op<string mnemonic, list<Trait> traits = []>
    : Op<FF_Dialect, mnemonic, traits>;

#endif // FF_DIALECT_TD
