import Cluster
import Testing

@testable import MIB

@Suite("MIBDefinition against mibs/CHASSIS-CLUSTER-MIB.txt")
struct MIBFileTests {
  let file: MIBFile

  init() throws {
    file = try #require(MIBFile.load(), "mibs/CHASSIS-CLUSTER-MIB.txt not found")
  }

  @Test func readerFindsTheModule() {
    #expect(file.oid(of: "chassisClusterMIB") == MIBDefinition.root)
    #expect(file.oid(of: "ccNotifications") == MIBDefinition.notificationsRoot)
    #expect(file.oid(of: "ccObjects") == MIBDefinition.objectsRoot)
    #expect(file.oid(of: "ccCluster") == MIBDefinition.clusterRoot)
    #expect(file.oid(of: "ccSessionSync") == MIBDefinition.sessionSyncRoot)
    #expect(file.oid(of: "ccWitness") == MIBDefinition.witnessRoot)
    #expect(file.names("OBJECT-TYPE").count > 50)
    #expect(file.names("NOTIFICATION-TYPE").count == 25)
  }

  @Test func everyDefinitionMatchesTheFile() throws {
    for object in MIBDefinition.all {
      let definition = try #require(file.definitions[object.name], "\(object.name) not in file")
      let macro = object.kind == .notification ? "NOTIFICATION-TYPE" : "OBJECT-TYPE"
      #expect(definition.macro == macro, "\(object.name)")
      #expect(file.oid(of: object.name) == object.oid, "\(object.name)")
      if object.kind == .notification {
        #expect(definition.objects == object.objects, "\(object.name) OBJECTS")
      } else {
        #expect(definition.syntax?.type == object.syntax, "\(object.name) SYNTAX")
        #expect(definition.access == object.access?.rawValue, "\(object.name) MAX-ACCESS")
        #expect(definition.index == object.index, "\(object.name) INDEX")
      }
      if let type = object.type {
        #expect(file.baseType(object.syntax) == type, "\(object.name) base type")
      }
    }
  }

  @Test func theFileHasNoObjectTheCodeForgets() {
    let inFile = Set(file.names("OBJECT-TYPE") + file.names("NOTIFICATION-TYPE"))
    let inCode = Set(MIBDefinition.all.map(\.name))
    #expect(inFile.subtracting(inCode).sorted() == [])
    #expect(inCode.subtracting(inFile).sorted() == [])
    #expect(MIBDefinition.all.count == inFile.count)
    // No two objects share an OID.
    #expect(Set(MIBDefinition.all.map(\.oid)).count == MIBDefinition.all.count)
  }

  @Test func enumerationsMatchTheCode() {
    let states = file.namedNumbers("CcRedundancyGroupState")
    #expect(states.count == RedundancyGroupState.allCases.count)
    for state in RedundancyGroupState.allCases {
      // secondary-hold → secondaryHold
      let parts = state.description.split(separator: "-")
      let name =
        parts[0]
        + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }
        .joined()
      #expect(states[String(name)] == Int(state.rawValue), "\(state)")
    }

    let bits = file.namedNumbers("CcFailureCodes")
    let codes: [String: FailureCodes] = [
      "interface": .interface, "ip": .ip, "configSync": .configSync, "fabric": .fabric,
      "coldSync": .coldSync,
    ]
    #expect(Set(bits.keys) == Set(codes.keys))
    for (name, code) in codes {
      let position = bits[name] ?? -1
      #expect(code.rawValue == 1 << position, "\(name)")
      #expect(MIBView.failureBits(code).bitPositions == [position], "\(name)")
    }

    let link = file.namedNumbers("CcLinkStatus")
    #expect(Int(MIBView.linkStatus(.up)) == link["up"])
    #expect(Int(MIBView.linkStatus(.down)) == link["down"])
    let peer = file.namedNumbers("CcPeerState")
    #expect(Int(MIBView.peerState(.up)) == peer["up"])
    #expect(Int(MIBView.peerState(.lost)) == peer["lost"])
    #expect(Int(MIBView.peerState(.unknown)) == peer["unknown"])
    let ifStatus = file.namedNumbers("ccIfMonStatus")
    #expect(Int(MIBView.interfaceStatus(.up)) == ifStatus["up"])
    #expect(Int(MIBView.interfaceStatus(.down)) == ifStatus["down"])
    #expect(Int(MIBView.interfaceStatus(.absent)) == ifStatus["notPresent"])
    #expect(Int(MIBView.interfaceStatus(nil)) == ifStatus["notMonitored"])
    let ipStatus = file.namedNumbers("ccIpMonStatus")
    #expect(Int(MIBView.ipStatus(true)) == ipStatus["reachable"])
    #expect(Int(MIBView.ipStatus(false)) == ipStatus["unreachable"])
    #expect(Int(MIBView.ipStatus(nil)) == ipStatus["unknown"])
    #expect(file.namedNumbers("ccSplitBrainStatus") == ["none": 1, "detected": 2])
    #expect(
      file.namedNumbers("ccConfigDigestStatus") == ["match": 1, "mismatch": 2, "unknown": 3])
    let rethStatus = file.namedNumbers("ccRethOperStatus")
    #expect(Int(MIBView.rethOperStatus(active: true)) == rethStatus["up"])
    #expect(Int(MIBView.rethOperStatus(active: false)) == rethStatus["down"])
    let members = file.namedNumbers("ccRethMemberStatus")
    #expect(Int(MIBView.rethMemberStatus(.up)) == members["up"])
    #expect(Int(MIBView.rethMemberStatus(.down)) == members["down"])
    #expect(Int(MIBView.rethMemberStatus(.absent)) == members["notPresent"])
    #expect(
      file.namedNumbers("ccLanLinkStatus")
        == ["up": 1, "down": 2, "unknown": 3, "notConfigured": 4])
    #expect(Int(MIBView.lanLinkStatus(.up)) == link["up"])
    #expect(Int(MIBView.lanLinkStatus(.down)) == link["down"])
    #expect(MIBView.lanLinkStatus(nil) == 4)
    let sync = file.namedNumbers("ccSessionSyncStatus")
    let health: [(SessionSyncHealth?, String)] = [
      (.healthy, "healthy"), (.unreachable, "unreachable"), (.stalled, "stalled"),
      (.losing, "losing"), (.unknown, "unknown"), (nil, "notConfigured"),
    ]
    #expect(sync.count == health.count)
    for (value, name) in health {
      #expect(Int(MIBView.sessionSyncStatus(value)) == sync[name], "\(name)")
    }
    let witness = file.namedNumbers("ccWitnessStatus")
    let reachability: [(WitnessReachability?, String)] = [
      (.up, "reachable"), (.lost, "unreachable"), (.unknown, "unknown"), (nil, "notConfigured"),
    ]
    #expect(witness.count == reachability.count)
    for (value, name) in reachability {
      #expect(Int(MIBView.witnessStatus(value)) == witness[name], "\(name)")
    }
  }

  @Test func nameOfAnInstance() {
    #expect(
      MIBDefinition.name(of: MIBDefinition.ccRgNodeState.oid + [1, 0]) == "ccRgNodeState.1.0")
    #expect(MIBDefinition.name(of: MIBDefinition.ccClusterId.oid + [0]) == "ccClusterId.0")
    #expect(MIBDefinition.name(of: [1, 3, 6]) == "1.3.6")
    #expect(MIBDefinition.object(named: "ccIpMonAddress")?.type == .octetString)
  }
}
